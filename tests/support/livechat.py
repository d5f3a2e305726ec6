"""The live chat's Socket.IO service in tests: extra service processes beside the stack's (for the relay across
instances), and a client that speaks as the frontend's `useMessaging` does (docs/livechat.md, Contract)."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import socketio  # type: ignore[import-untyped]

from infra.stack_runner import RunningStack

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "/front-chat"
ACK_TIMEOUT_S = 10  # the frontend's `socket.timeout(10_000)`
WAIT_S = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def service_process(stack: RunningStack, log_dir: Path) -> Iterator[str]:
    """One more instance of the service (`uvicorn functions.livechat_socket:app`) on the stack's emulators; yields
    its origin and stops it after."""
    port = free_port()
    log = (log_dir / f"livechat-{port}.log").open("wb")
    env = {**os.environ, **stack.env, "PYTHONPATH": f"{ROOT / 'shared'}:{ROOT}"}
    command = [sys.executable, "-m", "uvicorn", "functions.livechat_socket:app", "--host", "127.0.0.1"]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--no-access-log"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    origin = f"http://127.0.0.1:{port}"
    try:
        wait_ready(origin, process)
        yield origin
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def wait_ready(origin: str, process: subprocess.Popen[bytes] | None = None, timeout_s: float = 60) -> None:
    """Until the Engine.IO endpoint answers a polling handshake."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError("the live chat service exited early")
        try:
            if requests.get(f"{origin}/socket.io/", params={"EIO": "4", "transport": "polling"}, timeout=5).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the live chat service at {origin} did not start")


@dataclass
class ChatClient:
    """A `socketio.Client` on `/front-chat` recording what the server sends, as the frontend's hook listens, from
    a page of the frontend (`page_origin`, by default the first allowed CORS origin)."""

    page_origin: str | None = None
    events: queue.Queue[tuple[str, Any]] = field(default_factory=queue.Queue)

    def __post_init__(self) -> None:
        from bloom.core.settings import get_settings

        self.page_origin = self.page_origin or get_settings().cors_origins[0]
        # websocket-client sends its own Origin (the server's) unless told the page's.
        self.client = socketio.Client(reconnection=False, websocket_extra_options={"origin": self.page_origin})
        for name in ("history", "agent_reply", "exception", "disconnect"):
            self.client.on(name, self._recorder(name), namespace=NAMESPACE)

    def _recorder(self, name: str) -> Any:
        def record(*args: Any) -> None:
            self.events.put((name, args[0] if args else None))

        return record

    def connect(self, origin: str, token: str, transports: tuple[str, ...] = ("websocket", "polling")) -> None:
        """`io(origin + '/front-chat', {auth: {token, clientContext}, transports})`; raises `ConnectionError` with
        the server's message when the handshake is refused."""
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
