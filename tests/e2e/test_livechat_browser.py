"""The live chat from a real browser: Debian's Chromium runs a page of ours (`tests/support/chat_page.html`) that
speaks as the frontend's `useMessaging` does, with the official `socket.io-client` bundle, against the stack through
its gateway (the API origin). What this proves and what it cannot: docs/livechat.md, Tests."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from bloom.core.time import utcnow
from bloom.livechat import service as livechat
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import ROOT, RunningStack
from tests.support.browser import chromium
from tests.support.id_tokens import expired_copy
from tests.support.pages import PageServer
from tests.support.users import make_user

PAGE_FILES = {
    "/": ROOT / "tests" / "support" / "chat_page.html",
    "/socket.io.min.js": ROOT / "infra" / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js",
}
WEBSOCKET_FIRST = ["websocket", "polling"]  # the frontend's transports


@pytest.fixture(scope="module")
def browser() -> Iterator[BrowserContext]:
    with chromium() as context:
        yield context


@pytest.fixture
def chat_pages(pages: PageServer) -> PageServer:
    pages.files.update(PAGE_FILES)
    return pages


@contextmanager
def opened(browser: BrowserContext, url: str) -> Iterator[Page]:
    tab = browser.new_page()
    try:
        tab.goto(url)
        yield tab
    finally:
        tab.close()


@pytest.fixture
def page(browser: BrowserContext, stack: RunningStack, chat_pages: PageServer) -> Iterator[Page]:
    """The chat page on an origin the stack allows (`BLOOM_CORS_ORIGINS`, as the frontend's is)."""
    with opened(browser, f"{chat_pages.origin}/") as tab:
        yield tab


@pytest.fixture
def api_url(stack: RunningStack) -> str:
    """The frontend's `API_URL`: the socket connects to its origin, the HTTP calls go under it."""
    return f"{stack.api}/v1"


@pytest.fixture
def user(auth: AuthEmulator) -> AuthAccount:
    return make_user(auth, "browser@example.com")


def user_id(account: AuthAccount) -> str:
    return f"user-{account.uid}"


def connect(page: Page, api_url: str, token: str, transports: list[str], *, with_credentials: bool = False) -> None:
    page.evaluate(
        "([api, token, transports, credentials]) => connectChat(api, token, transports, credentials)",
        [api_url, token, transports, with_credentials],
    )


def next_event(page: Page, name: str, count: int = 1) -> Any:
    """The payload of the page's `count`th `name` event, once it has arrived."""
    page.wait_for_function("([name, n]) => count(name) >= n", arg=[name, count])
    return page.evaluate("([name, n]) => received.filter((e) => e.name === name)[n - 1].payload", [name, count])


def expiring_copy(token: str, expires_at: int) -> str:
    """The same (unsigned) Auth-emulator token, expiring at `expires_at` (seconds)."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    encoded = base64.urlsafe_b64encode(json.dumps({**claims, "exp": expires_at}).encode()).rstrip(b"=").decode()
    return f"{header}.{encoded}.{signature}"


def agent_reply(page: Page, reply_id: str) -> Any:
    """The `agent_reply` of that id, once it has arrived. A reply stored just before a socket connected may come in
    `history` and as an `agent_reply` (docs/livechat.md): the frontend keeps the first of an id."""
    of_id = "(e) => e.name === 'agent_reply' && e.payload.id === id"
    page.wait_for_function(f"(id) => received.some({of_id})", arg=reply_id)
    return page.evaluate(f"(id) => received.find({of_id}).payload", reply_id)


@pytest.mark.parametrize(
    ("transports", "with_credentials"),
    [(WEBSOCKET_FIRST, False), (["polling"], True)],
    ids=["websocket-as-the-frontend", "polling-only-with-credentials"],
)
def test_the_page_chats_with_the_team(
    page: Page, api_url: str, user: AuthAccount, transports: list[str], with_credentials: bool
) -> None:
    earlier = livechat.record_agent_reply(
        user_id(user), front_message_id="msg_earlier", text="Hello, we are here", attachments=[],
        at=utcnow() - timedelta(minutes=1), author_name="Team member",
    )  # fmt: skip
    connect(page, api_url, user.token, transports, with_credentials=with_credentials)
    [entry] = next_event(page, "history")["messages"]
    assert (entry["id"], entry["direction"], entry["text"]) == (earlier.id, "agent", "Hello, we are here")
    assert entry["createdAt"] == int(earlier.at.timestamp() * 1000)  # milliseconds

    assert page.evaluate("() => sendMessage('I would like to talk to someone')") == {"ok": True}
    assert [(m.role, m.text) for m in livechat.messages_of(user_id(user))][-1] == (
        "user", "I would like to talk to someone",
    )  # fmt: skip

    at = utcnow()
    reply = livechat.record_agent_reply(
        user_id(user), front_message_id="msg_now", text="We read you", attachments=[], at=at
    )
    assert agent_reply(page, reply.id) == {"id": reply.id, "body": "We read you", "emittedAt": int(at.timestamp())}

    # The connection drops; a reply stored while the page is away comes back in the reconnection's `history`.
    page.evaluate("() => dropConnection()")
    assert next_event(page, "disconnect") == "forced close"  # the client closed its transport: it reconnects
    meanwhile = livechat.record_agent_reply(
        user_id(user), front_message_id="msg_meanwhile", text="Still there?", attachments=[], at=utcnow()
    )
    page.evaluate("() => openHandshake()")
    replayed = next_event(page, "history", 2)["messages"]
    assert [(m["id"], m["direction"]) for m in replayed] == [
        (earlier.id, "agent"), (replayed[1]["id"], "user"), (reply.id, "agent"), (meanwhile.id, "agent"),
    ]  # fmt: skip
    assert page.evaluate("() => [count('connect'), count('connect_error'), socket.io.engine.transport.name]") == [
        2, 0, transports[0],
    ]  # fmt: skip


def test_a_refused_handshake_reaches_the_page_with_its_reason(page: Page, api_url: str, user: AuthAccount) -> None:
    connect(page, api_url, expired_copy(user.token), WEBSOCKET_FIRST)
    assert next_event(page, "connect_error") == "ID_TOKEN_EXPIRED"
    # A refusal is final for socket.io-client: it does not retry by itself (the frontend shows its error state).
    assert page.evaluate("() => [socket.active, count('connect')]") == [False, 0]

    page.evaluate("() => closeChat()")
    connect(page, api_url, "", ["polling"])
    assert next_event(page, "connect_error") == "Unauthorized: missing required Authorization token"


@pytest.mark.parametrize("transports", [WEBSOCKET_FIRST, ["polling"]], ids=["websocket", "polling"])
def test_a_token_expiring_mid_session_reconnects_with_a_fresh_one(
    page: Page, api_url: str, user: AuthAccount, transports: list[str]
) -> None:
    expires_at = int(time.time()) + 5
    connect(page, api_url, expiring_copy(user.token, expires_at), transports)
    next_event(page, "history")
    page.evaluate("(fresh) => { token = fresh; }", user.token)  # Firebase refreshes the ID token before it expires
    # The service checks the handshake token's expiry on its own clock: the page waits until that moment passes.
    page.wait_for_function("(at) => Date.now() / 1000 > at", arg=expires_at, polling=100, timeout=10_000)
    assert page.evaluate("() => sendMessage('still there?')") == {"timeout": "socket has been disconnected"}
    assert next_event(page, "exception") == {"status": "error", "message": "Token expired"}
    # The connection ended, not the namespace ("io server disconnect", after which socket.io-client never reconnects);
    # on long-polling the client may hear of it from the next poll ("transport error").
    assert next_event(page, "disconnect") in ("transport close", "transport error")
    next_event(page, "history", 2)  # the client reconnected by itself, handing over the fresh token
    assert page.evaluate("() => sendMessage('still there?')") == {"ok": True}


def test_the_read_receipt_and_a_picture_go_through_cors(page: Page, api_url: str, user: AuthAccount) -> None:
    connect(page, api_url, user.token, WEBSOCKET_FIRST)
    next_event(page, "history")
    assert page.evaluate("() => markRead()") == 204  # PATCH with Authorization: preflighted
    assert page.evaluate("() => sendPicture('photo.png')") == {"status": 204, "body": ""}
    [message] = livechat.messages_of(user_id(user))
    [attachment] = message.attachments
    assert (message.role, message.text, attachment.kind, attachment.name) == ("user", "photo.png", "image", "photo.png")


def test_a_page_of_another_origin_is_refused(
    browser: BrowserContext, chat_pages: PageServer, api_url: str, user: AuthAccount
) -> None:
    with opened(browser, f"{chat_pages.other_origin}/") as other:
        connect(other, api_url, user.token, WEBSOCKET_FIRST)
        assert next_event(other, "connect_error") == "websocket error"
        other.evaluate("() => closeChat()")
        connect(other, api_url, user.token, ["polling"])
        assert next_event(other, "connect_error") == "xhr poll error"
        assert other.evaluate("() => fetchRefusal(markRead)") == "TypeError"  # the preflight is refused
        assert other.evaluate("() => count('history')") == 0
