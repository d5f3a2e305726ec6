"""The Socket.IO service of the live chat: namespace `/front-chat`, as the frontend's `useMessaging` speaks it
(docs/livechat.md, Contract). A Cloud Run service (`uvicorn functions.livechat_socket:app`), since a function
cannot hold a websocket.

A handshake authenticates as every HTTP route does (`bloom.api.authenticate`) and must pass the live-chat rule;
the socket then receives `history`, sends `send_message` (acked), and receives `agent_reply` for every team reply
stored after it connected, whichever instance or function stored it: each instance keeps one Firestore listener
per connected user (the relay), shared by that user's sockets. No Redis: a reconnect replays from `history`.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import socketio  # type: ignore[import-untyped]

from bloom.api import authenticate
from bloom.core.errors import BloomError
from bloom.core.logging import get_logger
from bloom.core.settings import get_settings
from bloom.core.time import utcnow
from bloom.livechat import service as livechat
from bloom.livechat.errors import CHAT_NOT_ALLOWED
from bloom.livechat.events import MESSAGE_SENT
from bloom.livechat.schemas import TEXT_MAX, ChatMessage
from bloom.platform.auth import assert_not_emulated_in_production
from bloom.platform.registry import Deployment, Role, Sdk, ServiceSpec, register_service

NAMESPACE = "/front-chat"
# The original gateway's `WsException` messages, which the frontend's Rollbar logs carry.
UNAUTHORIZED = "Unauthorized"
TOKEN_EXPIRED = "Token expired"  # noqa: S105 - an error message, not a credential
RATE_LIMITED = "Rate limit exceeded"
SEND_FAILED = "Failed to send message"
LISTENER_FAILED = "Internal server error"  # NestJS's message for an unexpected error
# Replies stored this long before a listener starts are still relayed: instances' clocks differ a little, and the
# frontend drops an agent id it has already seen (in `history` or an earlier `agent_reply`).
CLOCK_MARGIN = timedelta(seconds=5)
CONCURRENCY = 250  # sockets per instance: docs/livechat.md, Bench

_log = get_logger("bloom.livechat.socket")
assert_not_emulated_in_production()


class Relay:
    """One Firestore listener per user connected to this instance, shared by the user's sockets (their room)."""

    def __init__(self, server: socketio.AsyncServer) -> None:
        self.server = server
        self.sockets: Counter[str] = Counter()
        self.listeners: dict[str, asyncio.Task[Callable[[], None]]] = {}

    async def follow(self, user_id: str) -> None:
        self.sockets[user_id] += 1
        if user_id not in self.listeners:
            loop = asyncio.get_running_loop()
            since = utcnow() - CLOCK_MARGIN

            def on_reply(message: ChatMessage) -> None:  # on the listener's thread
                emit = self.server.emit("agent_reply", message.agent_reply(), room=room(user_id), namespace=NAMESPACE)
                asyncio.run_coroutine_threadsafe(emit, loop)

            start = asyncio.to_thread(livechat.follow_agent_replies, user_id, since, on_reply)
            self.listeners[user_id] = asyncio.ensure_future(start)
        listener = self.listeners[user_id]
        try:
            await listener
        except Exception:
            if self.listeners.get(user_id) is listener:  # the next socket of the user tries again
                del self.listeners[user_id]
            await self.unfollow(user_id)
            raise

    async def unfollow(self, user_id: str) -> None:
        self.sockets[user_id] -= 1
        if self.sockets[user_id] > 0:
            return
        del self.sockets[user_id]
        listener = self.listeners.pop(user_id, None)
        if listener is not None:
            stop = await listener
            await asyncio.to_thread(stop)


def room(user_id: str) -> str:
    return f"user:{user_id}"


def create_server() -> tuple[socketio.AsyncServer, Relay]:
    server = socketio.AsyncServer(
        async_mode="asgi",
        cors_allowed_origins=list(get_settings().cors_origins),
        cors_credentials=True,
        logger=False,
        engineio_logger=False,
    )
    relay = Relay(server)

    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        headers = (
            {"authorization": f"Bearer {token}"} if token else {"authorization": environ.get("HTTP_AUTHORIZATION", "")}
        )
        try:
            caller = await asyncio.to_thread(authenticate, headers, Role.USER)
            assert caller is not None
            if not await asyncio.to_thread(livechat.chat_allowed, caller):
                raise CHAT_NOT_ALLOWED.error()
        except BloomError as refused:
            raise socketio.exceptions.ConnectionRefusedError(str(refused.message)) from None
        user_id = caller.user.id
        expires = caller.claims.get("exp")
        await server.save_session(
            sid, {"user_id": user_id, "expires": expires if isinstance(expires, int) else None, "sends": []}, NAMESPACE
        )
        await server.enter_room(sid, room(user_id), namespace=NAMESPACE)
        try:
            await relay.follow(user_id)  # before reading history: a reply stored in between arrives on one or both
        except Exception:
            _log.exception("live chat listener not started")
            raise socketio.exceptions.ConnectionRefusedError(LISTENER_FAILED) from None
        messages = await asyncio.to_thread(livechat.messages_of, user_id)
        await server.emit("history", {"messages": [m.history_entry() for m in messages]}, to=sid, namespace=NAMESPACE)

    async def disconnect(sid: str, *_: Any) -> None:
        session = await server.get_session(sid, NAMESPACE)
        if "user_id" in session:
            await relay.unfollow(session["user_id"])

    async def send_message(sid: str, data: Any) -> dict[str, Any]:
        session = await server.get_session(sid, NAMESPACE)
        user_id = session.get("user_id")
        if user_id is None:
            return await refuse(sid, UNAUTHORIZED)
        expires = session["expires"]
        if expires is not None and expires <= time.time():
            answer = await refuse(sid, TOKEN_EXPIRED)
            await close_connection(sid)
            return answer
        allowed, session["sends"] = livechat.send_allowed(session["sends"], time.time())
        await server.save_session(sid, session, NAMESPACE)
        if not allowed:
            return await refuse(sid, RATE_LIMITED)
        text = data.get("text") if isinstance(data, dict) else None
        if not isinstance(text, str) or not 1 <= len(text) <= TEXT_MAX:
            return await refuse(sid, SEND_FAILED)
        try:
            await asyncio.to_thread(livechat.send_user_message, user_id, text)
        except Exception:
            _log.exception("live chat message not stored")
            return await refuse(sid, SEND_FAILED)
        return {"ok": True}

    server.on("connect", connect, namespace=NAMESPACE)
    server.on("disconnect", disconnect, namespace=NAMESPACE)
    server.on("send_message", send_message, namespace=NAMESPACE)

    async def close_connection(sid: str) -> None:
        """End the socket's connection so that socket.io-client reconnects by itself, its `auth` callback handing
        over a fresh token. A namespace disconnect (`server.disconnect`) is final for that client: it never
        reconnects. python-engineio's own close sends a CLOSE packet, which a long-polling client obeys but a
        websocket client ignores, and leaves the websocket open until the ping timeout (45 s): ending a websocket's
        send queue closes it now (tests/e2e/test_livechat_browser.py holds both)."""
        eio_sid = server.manager.eio_sid_from_sid(sid, NAMESPACE)
        connection = server.eio._get_socket(eio_sid)  # python-engineio's own socket (see above)
        await server.eio.disconnect(eio_sid)
        if connection.upgraded:  # on a websocket
            await connection.queue.put(None)

    async def refuse(sid: str, message: str) -> dict[str, Any]:
        """The original gateway's error (NestJS delivers a `WsException` as an `exception` event), and an ack the
        frontend reads as failed at once rather than after its 10-second timeout."""
        await server.emit("exception", {"status": "error", "message": message}, to=sid, namespace=NAMESPACE)
        return {"ok": False, "message": message}

    return server, relay


server, relay = create_server()
app = socketio.ASGIApp(server)

register_service(
    ServiceSpec(
        name="livechat_socket",
        module=__name__,
        app="app",
        summary="Live chat over Socket.IO (namespace /front-chat): history, send_message, agent_reply",
        prefixes=("/socket.io/", "/front-chat"),
        deployment=Deployment(
            sdks=(Sdk.FIRESTORE, Sdk.FIREBASE_AUTH, Sdk.PUBSUB),
            emits=(MESSAGE_SENT,),
            memory_mb=512,
            timeout_s=3600,  # Cloud Run's longest request: a websocket lives at most this long, then reconnects
        ),
        concurrency=CONCURRENCY,
    )
)
