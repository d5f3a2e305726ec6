"""The live chat over Socket.IO, with the real `python-socketio` client speaking as the frontend does: the stack's
service (through the gateway, as the frontend reaches it) and a second service process, on the same emulators."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import socketio  # type: ignore[import-untyped]

from bloom.core.time import utcnow
from bloom.livechat import service as livechat
from bloom.platform.store.outbox import OutboxRepository
from bloom.platform.store.repository import Filter
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.id_tokens import expired_copy
from tests.support.livechat import chat_client, service_process
from tests.support.partners import call, new_code, new_partner, new_partner_admin, super_admin
from tests.support.users import make_user


@pytest.fixture(scope="module")
def second_instance(running_stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with service_process(Path(tmp_path_factory.mktemp("livechat"))) as origin:
        yield origin


@pytest.fixture
def origin(stack: RunningStack) -> str:
    """The API origin: the frontend connects to `new URL(API_URL).origin` + `/front-chat`."""
    return stack.api.removesuffix("/api")


@pytest.fixture
def user(auth: AuthEmulator) -> AuthAccount:
    return make_user(auth, "chatter@example.com")


def user_id(account: AuthAccount) -> str:
    return f"user-{account.uid}"


def refusal(origin: str, token: str) -> str:
    """The reason the server gives for refusing the handshake (`connect_error`'s `err.message` in the browser)."""
    with chat_client() as client:
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(origin, token)
        reason: str = client.next("connect_error")["message"]
    return reason


def test_a_valid_token_connects_and_gets_history(origin: str, user: AuthAccount) -> None:
    livechat.record_agent_reply(
        user_id(user), front_message_id="msg_1", text="Hello, we are here", attachments=[], at=utcnow(),
        author_name="Team member",
    )  # fmt: skip
    with chat_client() as client:
        client.connect(origin, user.token)
        [entry] = client.next("history")["messages"]
    assert entry["direction"] == "agent" and entry["text"] == "Hello, we are here"
    assert entry["authorName"] == "Team member" and entry["createdAt"] > 10**12  # milliseconds


def test_expired_foreign_and_missing_tokens_are_refused(stack: RunningStack, origin: str, user: AuthAccount) -> None:
    assert refusal(origin, expired_copy(user.token)) == "ID_TOKEN_EXPIRED"
    # Another project's account: the Auth emulator's tokens are unsigned and firebase-admin skips their audience
    # check, so locally it is refused as an unknown user (deployed, the audience check refuses it: INVALID_TOKEN).
    foreign = AuthEmulator(stack.auth, "demo-another-project").sign_up("elsewhere@example.com")
    assert refusal(origin, foreign.token) == "USER_NOT_FOUND"
    assert refusal(origin, "not-a-firebase-token") == "INVALID_TOKEN"
    assert refusal(origin, "") == "Unauthorized: missing required Authorization token"


def test_a_page_of_another_origin_cannot_connect(origin: str, user: AuthAccount) -> None:
    with chat_client(page_origin="https://evil.example") as client, pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(origin, user.token)


def test_a_user_without_a_bloom_account_is_refused(auth: AuthEmulator, origin: str) -> None:
    assert refusal(origin, auth.sign_up("nobody@example.com").token) == "USER_NOT_FOUND"


def test_a_user_the_live_chat_rule_refuses_cannot_connect(stack: RunningStack, auth: AuthEmulator, origin: str) -> None:
    admin = super_admin(auth)
    partner = new_partner(stack, admin, "Bumble")
    partner_admin, _ = new_partner_admin(stack, auth, admin, partner["id"], "padmin@example.com")
    code = new_code(stack, partner_admin, featureLiveChat=False)["accessCode"]
    member = make_user(auth, "member@example.com")
    assert call(stack, "POST", "partner-access/assign", member, {"partnerAccessCode": code}).status_code == 201
    assert refusal(origin, member.token) == "LIVE_CHAT_NOT_ALLOWED"


def test_send_message_is_acked_stored_and_announced(origin: str, user: AuthAccount) -> None:
    with chat_client() as client:
        client.connect(origin, user.token)
        assert client.next("history") == {"messages": []}
        assert client.send("I would like to talk to someone") == {"ok": True}
    [message] = livechat.messages_of(user_id(user))
    assert (message.role, message.text) == ("user", "I would like to talk to someone")
    events = OutboxRepository().select([Filter("topic", "==", "livechat.message_sent")])
    assert [doc.data for _, doc in events] == [
        f'{{"user_id":"{user_id(user)}","message_id":"{message.id}","sent_at":"{message.at.isoformat()}"}}'
    ]


def test_send_errors_answer_as_the_original_gateway(origin: str, user: AuthAccount) -> None:
    with chat_client() as client:
        client.connect(origin, user.token)
        client.next("history")
        assert client.send("") == {"ok": False, "message": "Failed to send message"}
        assert client.next("exception") == {"status": "error", "message": "Failed to send message"}
        answers = [client.send(f"message {n}") for n in range(20)]
        assert answers[-1] == {"ok": False, "message": "Rate limit exceeded"}  # 20 per 10 s, the empty one counts
        assert answers[:-1] == [{"ok": True}] * 19


def test_an_agent_reply_reaches_the_users_sockets_on_every_instance(
    origin: str, second_instance: str, user: AuthAccount
) -> None:
    with chat_client() as here, chat_client() as there:
        here.connect(origin, user.token)
        there.connect(second_instance, user.token, transports=("polling",))
        here.next("history"), there.next("history")
        at = utcnow().replace(microsecond=0)
        stored = livechat.record_agent_reply(
            user_id(user), front_message_id="msg_2", text="We read you", attachments=[], at=at
        )
        expected = {"id": stored.id, "body": "We read you", "emittedAt": int(at.timestamp())}
        assert here.next("agent_reply") == expected
        assert there.next("agent_reply") == expected
        again = livechat.record_agent_reply(
            user_id(user), front_message_id="msg_2", text="We read you", attachments=[], at=at
        )
        assert again.id == stored.id and len(livechat.messages_of(user_id(user))) == 1


def test_a_reconnect_gets_what_arrived_meanwhile_in_history(second_instance: str, user: AuthAccount) -> None:
    with chat_client() as client:
        client.connect(second_instance, user.token)
        client.next("history")
        assert client.send("are you there?") == {"ok": True}
    livechat.record_agent_reply(
        user_id(user), front_message_id="msg_3", text="Yes", attachments=[], at=utcnow() + timedelta(seconds=1)
    )
    with chat_client() as client:
        client.connect(second_instance, user.token)
        history = client.next("history")["messages"]
    assert [(m["direction"], m["text"]) for m in history] == [("user", "are you there?"), ("agent", "Yes")]


def test_a_read_receipt_ends_the_unread_reply(stack: RunningStack, user: AuthAccount) -> None:
    replied = utcnow() - timedelta(minutes=10)
    livechat.record_agent_reply(user_id(user), front_message_id="msg_4", text="Hi", attachments=[], at=replied)
    assert [due.user_id for due in livechat.unread_replies_due(utcnow())] == [user_id(user)]
    response = requests.patch(f"{stack.api}/v1/front-chat/read", headers=user.headers, timeout=30)
    assert (response.status_code, response.content) == (204, b"")
    assert livechat.unread_replies_due(utcnow()) == []
    assert requests.patch(f"{stack.api}/v1/front-chat/read", timeout=30).status_code == 401
