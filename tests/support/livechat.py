"""The live chat's Socket.IO service in tests: extra service processes beside the stack's (for the relay across
instances), and a client that speaks as the frontend's `useMessaging` does (docs/livechat.md, Contract)."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import socketio  # type: ignore[import-untyped]

NAMESPACE = "/front-chat"
ACK_TIMEOUT_S = 10  # the frontend's `socket.timeout(10_000)`
WAIT_S = 20.0


@contextmanager
def service_process(log_dir: Path, bundle: Path | None = None) -> Iterator[str]:
    """One more instance of the service, run as the stack runs its own (uvicorn on the registry's ASGI app), or
    from the unpacked deploy `bundle` alone as its image runs it, on the emulators of the environment; yields its
    origin and stops it after."""
    from bloom.platform.registry import registered_services
    from infra.manifest import load_everything
    from infra.stack import service_processes
    from tests.support.bundle import from_bundle

    load_everything()
    [(process, port)] = service_processes(list(registered_services().values()), log_dir).values()
    if bundle is not None:
        process = from_bundle(process, bundle)
    process.start()
    try:
        process.wait_ready(timeout_s=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.stop()


@dataclass
class ChatClient:
    """A `socketio.Client` on `/front-chat` recording what the server sends, as the frontend's hook listens, from
    a page of the frontend (`page_origin`, by default the first allowed CORS origin)."""

    page_origin: str | None = None
    events: queue.Queue[tuple[str, Any]] = field(default_factory=queue.Queue)

    def __post_init__(self) -> None:
        from bloom.core.settings import get_settings

        self.page_origin = self.page_origin or get_settings().cors_origins[0]
        # websocket-client would add an Origin of its own (the server's) beside the page's.
        self.client = socketio.Client(reconnection=False, websocket_extra_options={"suppress_origin": True})
        for name in ("history", "agent_reply", "exception", "disconnect", "connect_error"):
            self.client.on(name, self._recorder(name), namespace=NAMESPACE)

    def _recorder(self, name: str) -> Any:
        def record(*args: Any) -> None:
            self.events.put((name, args[0] if args else None))

        return record

    def connect(self, origin: str, token: str, transports: tuple[str, ...] = ("websocket", "polling")) -> None:
        """`io(origin + '/front-chat', {auth: {token, clientContext}, transports})`; raises `ConnectionError` when
        the handshake is refused (the server's reason is the `connect_error` event's `message`)."""
        auth = {"token": token, "clientContext": {"browserLanguage": "en-GB", "timezone": "Europe/London"}}
        headers = {"Origin": self.page_origin}
        self.client.connect(
            origin, namespaces=[NAMESPACE], auth=auth, headers=headers, transports=list(transports), wait_timeout=WAIT_S
        )

    def send(self, text: str) -> Any:
        """`socket.timeout(10_000).emit('send_message', {text}, ack)`: the ack's payload."""
        return self.client.call("send_message", {"text": text}, namespace=NAMESPACE, timeout=ACK_TIMEOUT_S)

    def next(self, name: str, timeout_s: float = WAIT_S) -> Any:
        """The payload of the next `name` event (others received before it are dropped)."""
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                got, payload = self.events.get(timeout=left)
            except queue.Empty:
                break
            if got == name:
                return payload
        raise AssertionError(f"no {name} event within {timeout_s}s")

    def disconnect(self) -> None:
        self.client.disconnect()


@contextmanager
def chat_client(page_origin: str | None = None) -> Iterator[ChatClient]:
    client = ChatClient(page_origin)
    try:
        yield client
    finally:
        client.disconnect()
