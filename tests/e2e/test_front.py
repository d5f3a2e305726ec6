"""Front as the team's inbox, end to end on the local stack: a user's message reaches Front's channel once (the Front
fake checks what we send), the channel's signed webhook writes the team's reply once, and erasure reaches Front."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer

from bloom.core.time import utcnow
from bloom.livechat import relay
from bloom.livechat import service as livechat
from bloom.livechat.events import MESSAGE_SENT, MessageSent
from bloom.platform.store.outbox import publish_message
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.events import outcome
from tests.support.front_fake import FrontFake, sign
from tests.support.users import make_user
from tests.support.wait import eventually

EMAIL = "front-chatter@example.com"


@pytest.fixture
def front(stack: RunningStack, httpserver: HTTPServer) -> FrontFake:
    return FrontFake().install(httpserver)


@pytest.fixture
def user(auth: AuthEmulator) -> AuthAccount:
    return make_user(auth, EMAIL, name="Alex Example")


def user_id(account: AuthAccount) -> str:
    return f"user-{account.uid}"


def agent_messages(uid: str) -> list[Any]:
    return [m for m in livechat.messages_of(uid) if m.role == "agent"]


def post_webhook(
    stack: RunningStack, body: dict[str, Any], *, timestamp: str | None = None, secret: str | None = None
) -> requests.Response:
    raw = json.dumps(body).encode()
    stamp = timestamp if timestamp is not None else str(int(time.time() * 1000))  # Front sends milliseconds
    signature = sign(raw, stamp) if secret is None else sign(raw, stamp, secret)
    headers = {"Content-Type": "application/json", "X-Front-Signature": signature, "X-Front-Request-Timestamp": stamp}
    return requests.post(f"{stack.api}/webhooks/front", data=raw, headers=headers, timeout=30)


def reply_body(uid: str, front_id: str = "msg_agent_1", text: str = "Hello, we are here for you") -> dict[str, Any]:
    """What Front's custom channel posts when a teammate replies (its channel webhook's `message` request)."""
    return {
        "type": "message",
        "payload": {
            "id": front_id,
            "type": "custom",
            "text": text,
            "body": f"<p>{text}</p>",
            "author": {"id": "tea_1", "email": "teammate@chayn.co", "first_name": "Sam", "last_name": "Team"},
            "recipients": [{"handle": f"bloom-user-{uid}", "role": "to"}],
            "attachments": [],
        },
        "metadata": {"external_conversation_ids": [f"bloom-user-{uid}"]},
    }


# --- inbound: a user's message → Front ---------------------------------------------------------------------------


def test_a_users_message_reaches_front_once_with_ids_only(front: FrontFake, user: AuthAccount) -> None:
    uid = user_id(user)
    message = livechat.send_user_message(uid, "I would like to talk to someone")
    [incoming] = eventually(lambda: list(front.received), lambda got: len(got) == 1)
    assert incoming.body == {
        "sender": {"handle": f"bloom-user-{uid}"},
        "body": "I would like to talk to someone",
        "body_format": "markdown",
        "metadata": {"thread_ref": f"bloom-user-{uid}", "headers": {"bloom_message_id": message.id}},
    }
    sent = json.dumps(incoming.body)
    assert EMAIL not in sent and "Alex" not in sent
    stored = eventually(lambda: livechat.messages_of(uid)[-1], lambda m: m.front_message_id is not None)
    # A redelivered event finds Front's id on the message and posts nothing.
    event_id = str(uuid.uuid4())
    payload = MessageSent(user_id=uid, message_id=message.id, sent_at=message.at.isoformat())
    publish_message(MESSAGE_SENT.name, payload.model_dump_json().encode(), {"event_id": event_id})
    eventually(lambda: outcome("relay_chat_message_to_front", event_id), lambda status: status == "done")
    assert relay.relay_to_front(uid, message.id) is False
    assert len(front.received) == 1 and livechat.messages_of(uid)[-1].front_message_id == stored.front_message_id


def test_a_post_whose_answer_was_lost_is_found_in_front_not_posted_again(front: FrontFake, user: AuthAccount) -> None:
    # Front takes the message, but its answer never reaches us (a timeout, a crash before the write): the event is
    # redelivered, and Front's endpoint has no idempotency key, so the relay looks for the message before posting.
    uid = user_id(user)
    front.answers_lost = 1
    message = livechat.send_user_message(uid, "Please do not lose this")
    stored = eventually(lambda: livechat.messages_of(uid)[-1], lambda m: m.front_message_id is not None, timeout_s=60)
    [held] = front.messages
    assert (len(front.received), stored.front_message_id) == (1, held.id)
    assert held.headers == {"bloom_message_id": message.id}


def test_a_lost_answer_front_will_not_let_us_look_up_is_posted_again(front: FrontFake, user: AuthAccount) -> None:
    # never dropped for fear of a duplicate: Front shows the message twice rather than not at all
    uid = user_id(user)
    front.answers_lost, front.reads_refused = 1, True
    livechat.send_user_message(uid, "Is anyone there?")
    eventually(lambda: livechat.messages_of(uid)[-1], lambda m: m.front_message_id is not None, timeout_s=60)
    assert [incoming.body["body"] for incoming in front.received] == ["Is anyone there?", "Is anyone there?"]


def test_front_down_is_retried_until_it_answers(front: FrontFake, user: AuthAccount) -> None:
    front.down = True
    livechat.send_user_message(user_id(user), "Are you there?")
    eventually(lambda: front.failed, lambda failed: failed >= 1)  # the delivery failed; Pub/Sub redelivers it
    front.down = False
    eventually(lambda: len(front.received), lambda count: count == 1, timeout_s=60)


# --- outbound: Front's webhook → the user's agent_reply ----------------------------------------------------------


def test_a_signed_reply_is_written_once_per_front_message(stack: RunningStack, user: AuthAccount) -> None:
    uid = user_id(user)
    first = post_webhook(stack, reply_body(uid))
    assert first.status_code == 200
    assert first.json() == {
        "type": "success",
        "external_id": agent_messages(uid)[0].id,
        "external_conversation_id": f"bloom-user-{uid}",
    }
    [reply] = agent_messages(uid)
    assert (reply.text, reply.author_name, reply.front_message_id) == (
        "Hello, we are here for you",
        "Sam",
        "msg_agent_1",
    )
    assert reply.agent_reply()["body"] == "Hello, we are here for you"
    again = post_webhook(stack, reply_body(uid))  # Front retries: same message id
    assert again.status_code == 200 and again.json() == first.json()
    assert len(agent_messages(uid)) == 1
    assert post_webhook(stack, reply_body(uid, "msg_agent_2", "A second reply")).status_code == 200
    assert [m.text for m in agent_messages(uid)] == ["Hello, we are here for you", "A second reply"]


def test_a_replys_files_are_brought_over_from_front_only(
    stack: RunningStack, front: FrontFake, user: AuthAccount, httpserver: HTTPServer
) -> None:
    uid = user_id(user)
    png = b"\x89PNG\r\n\x1a\n" + bytes(64)
    front.downloads["att_1"] = ("image/png", png)
    front.downloads["att_2"] = ("image/png", b"<html>not a png</html>")
    api = httpserver.url_for("/front")
    body = reply_body(uid, "msg_files", "")
    body["payload"]["attachments"] = [
        {"url": f"{api}/download/att_1", "filename": "leaflet.png", "content_type": "image/png"},
        {"url": f"{api}/download/att_2", "filename": "lying.png", "content_type": "image/png"},  # bytes lie
        {"url": httpserver.url_for("/elsewhere/att_1"), "filename": "x.png", "content_type": "image/png"},
        {"url": f"{api}/download/missing", "filename": "gone.png", "content_type": "image/png"},
    ]
    assert post_webhook(stack, body).status_code == 200
    [reply] = agent_messages(uid)
    [attachment] = reply.attachments
    assert (reply.text, attachment.kind, attachment.name) == ("leaflet.png", "image", "leaflet.png")
    assert reply.agent_reply()["attachments"] == [{"url": attachment.url, "kind": "image", "name": "leaflet.png"}]
    fetched = requests.get(f"{stack.api}/v1{attachment.url}", allow_redirects=False, timeout=30)
    assert requests.get(fetched.headers["Location"], timeout=30).content == png
    assert not any(request.path.startswith("/elsewhere") for request, _ in httpserver.log)


def test_a_bad_signature_or_a_stale_timestamp_writes_nothing(stack: RunningStack, user: AuthAccount) -> None:
    uid = user_id(user)
    wrong = post_webhook(stack, reply_body(uid), secret="not-the-channel-secret")
    assert (wrong.status_code, wrong.json()["message"]) == (401, "WEBHOOK_SIGNATURE_MISMATCH")
    stale = str(int((time.time() - 6 * 60) * 1000))
    assert post_webhook(stack, reply_body(uid), timestamp=stale).status_code == 401
    future = str(int(time.time() + 6 * 60))  # seconds, as Front's docs describe it, and out of the window
    assert post_webhook(stack, reply_body(uid), timestamp=future).status_code == 401
    unsigned = requests.post(f"{stack.api}/webhooks/front", json=reply_body(uid), timeout=30)
    assert (unsigned.status_code, unsigned.json()["message"]) == (401, "WEBHOOK_SIGNATURE_MISSING")
    assert agent_messages(uid) == []
    # ...while the same body, signed now (in seconds too), goes through
    assert post_webhook(stack, reply_body(uid), timestamp=str(int(time.time()))).status_code == 200


def test_a_reply_for_no_bloom_user_is_acknowledged_and_stored_nowhere(stack: RunningStack) -> None:
    body = reply_body("x")
    body["payload"]["recipients"] = [{"handle": "someone@example.com", "role": "to"}]
    body["metadata"] = {}
    response = post_webhook(stack, body)
    assert response.status_code == 200 and response.json()["type"] == "success"


def test_the_channel_authorization_request_is_answered(stack: RunningStack) -> None:
    # Front's channel template answers `authorization` with the URL Front sends the channel's requests to
    response = post_webhook(stack, {"type": "authorization", "payload": {"channel_id": "cha_test"}})
    assert response.status_code == 200
    assert response.json() == {"type": "success", "webhook_url": f"{stack.api}/webhooks/front"}


# --- erasure ------------------------------------------------------------------------------------------------------


def test_erasure_removes_the_chat_and_the_front_contact(
    stack: RunningStack, front: FrontFake, user: AuthAccount, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/slack/deleted-users", method="POST").respond_with_data("ok")
    uid = user_id(user)
    livechat.send_user_message(uid, "hello")
    livechat.record_agent_reply(uid, front_message_id="msg_e", text="hi", attachments=[], at=utcnow())
    eventually(lambda: len(front.received), lambda count: count == 1)
    assert requests.delete(f"{stack.api}/v1/user", headers=user.headers, timeout=30).status_code == 200
    eventually(lambda: livechat.messages_of(uid), lambda messages: messages == [])
    eventually(lambda: list(front.deleted_contacts), lambda deleted: deleted == [f"alt:custom:bloom-user-{uid}"])
