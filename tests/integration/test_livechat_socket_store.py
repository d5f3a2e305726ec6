"""The live chat's store on the emulators: what the Front relay and the unread-reply job use beside the socket."""

from __future__ import annotations

from datetime import timedelta

from bloom.core.time import utcnow
from bloom.livechat import service as livechat
from bloom.livechat.schemas import ChatAttachment
from infra.stack_runner import RunningStack

USER = "user-chat"


def test_a_message_is_stored_as_written_with_moderations_verdict(stack: RunningStack) -> None:
    sent = livechat.send_user_message(USER, "I want to die, call me on 07700 900123")
    [stored] = livechat.messages_of(USER)
    assert stored == sent and stored.text == "I want to die, call me on 07700 900123"  # the team reads it all
    assert stored.moderation is not None and stored.moderation.state == "flagged"
    assert set(stored.moderation.reasons) == {"contact_details", "crisis"}


def test_an_unread_reply_email_is_claimed_once_per_window(stack: RunningStack) -> None:
    replied = utcnow() - timedelta(minutes=6)
    livechat.record_agent_reply(USER, front_message_id="msg_1", text="Hi", attachments=[], at=replied)
    now = utcnow()
    [due] = livechat.unread_replies_due(now)
    assert (due.user_id, due.emails_sent) == (USER, 0)
    assert livechat.record_unread_email(USER, now) is True
    assert livechat.record_unread_email(USER, now) is False  # another run, same window
    assert livechat.unread_replies_due(now + timedelta(hours=1)) == []
    assert [d.emails_sent for d in livechat.unread_replies_due(now + timedelta(hours=2))] == [1]


def test_erasure_deletes_the_chat_and_returns_its_attachments(stack: RunningStack) -> None:
    voice = ChatAttachment(kind="voice", url="/api/v1/front-chat/attachments/a1", object_name="livechat/a1")
    livechat.send_user_message(USER, "", [voice])
    livechat.record_agent_reply(USER, front_message_id="msg_2", text="Got it", attachments=[], at=utcnow())
    assert livechat.erase(USER) == [voice]
    assert livechat.messages_of(USER) == []
    assert livechat.unread_replies_due(utcnow() + timedelta(days=1)) == []
