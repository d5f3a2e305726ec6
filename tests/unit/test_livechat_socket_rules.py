"""The live chat's rules without I/O: unread replies, the unread-email windows, the send rate, the frontend's
payload shapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bloom.livechat.models import (
    SENDS_PER_WINDOW,
    agent_message_id,
    email_due,
    new_chat,
    sends_allowed,
    with_read,
    with_reply,
)
from bloom.livechat.schemas import ChatAttachment, ChatMessage

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_a_reply_is_unread_until_a_read_receipt_after_it() -> None:
    chat = with_reply(new_chat("u1", T0), T0 + timedelta(minutes=1))
    assert chat.unread_since == T0 + timedelta(minutes=1)
    later = with_reply(chat, T0 + timedelta(minutes=3))
    assert later.unread_since == T0 + timedelta(minutes=1)  # the oldest unread reply counts
    read = with_read(later, T0 + timedelta(minutes=4))
    assert read.unread_since is None and read.read_at == T0 + timedelta(minutes=4)
    assert with_reply(read, T0 + timedelta(minutes=2)).unread_since is None  # older than the receipt: read


def test_unread_emails_first_after_five_minutes_then_every_two_hours_three_at_most() -> None:
    chat = with_reply(new_chat("u1", T0), T0)
    assert not email_due(chat, T0 + timedelta(minutes=4, seconds=59))
    assert email_due(chat, T0 + timedelta(minutes=5))
    sent = chat.model_copy(update={"emails_sent": 1, "last_email_at": T0 + timedelta(minutes=5)})
    assert not email_due(sent, T0 + timedelta(hours=2, minutes=4))
    assert email_due(sent, T0 + timedelta(hours=2, minutes=5))
    third = sent.model_copy(update={"emails_sent": 3})
    assert not email_due(third, T0 + timedelta(days=1))
    assert not email_due(with_read(sent, T0 + timedelta(hours=1)), T0 + timedelta(days=1))


def test_twenty_sends_per_sliding_ten_seconds() -> None:
    recent: list[float] = []
    for n in range(SENDS_PER_WINDOW):
        allowed, recent = sends_allowed(recent, 100.0 + n * 0.1)
        assert allowed
    allowed, recent = sends_allowed(recent, 102.0)
    assert not allowed and len(recent) == SENDS_PER_WINDOW
    allowed, _ = sends_allowed(recent, 110.05)  # the first send left the window
    assert allowed


def test_an_agent_reply_id_is_stable_per_front_message() -> None:
    assert agent_message_id("msg_1") == agent_message_id("msg_1") != agent_message_id("msg_2")


def test_payloads_use_the_frontends_units_and_names() -> None:
    message = ChatMessage(
        id="m1",
        user_id="u1",
        role="agent",
        text="Hello",
        attachments=[ChatAttachment(kind="image", url="/api/v1/front-chat/attachments/a1", name="a.png")],
        at=T0,
        stored_at=T0,
        author_name="Sam",
        front_message_id="msg_1",
    )
    attachment = {"url": "/api/v1/front-chat/attachments/a1", "kind": "image", "name": "a.png"}
    assert message.history_entry() == {
        "id": "m1",
        "direction": "agent",
        "text": "Hello",
        "createdAt": int(T0.timestamp()) * 1000,
        "attachments": [attachment],
        "authorName": "Sam",
    }
    assert message.agent_reply() == {
        "id": "m1",
        "body": "Hello",
        "emittedAt": int(T0.timestamp()),
        "authorName": "Sam",
        "attachments": [attachment],
    }
