"""The Front part of `make bench`, on a real local stack with a local Front (a small HTTP server answering as
Front's channel API does): a user's message stored → Front's `incoming_messages` called p50 (outbox, Pub/Sub push,
the relay subscriber), and Front's signed webhook posted → `agent_reply` on the user's socket p50 (the webhook
function, Firestore, the service's listener, through the gateway). Nothing is asserted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import queue
import statistics
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from bloom.livechat.front import MESSAGE_ID_HEADER
from infra.auth_emulator import AuthEmulator
from infra.bench_report import print_table
from infra.stack_runner import RunningStack, start_stack, stop_stack

SAMPLES = 20
CHANNEL = "cha_bench"
TOKEN = "bench-front-token"  # noqa: S105 (the local fake's, not a credential)
SECRET = "bench-front-secret"  # noqa: S105 (the local fake's)
NAMESPACE = "/front-chat"


class _FrontChannel(BaseHTTPRequestHandler):
    """Front's `incoming_messages`: notes when each message arrived (by our message id) and answers a uid."""

    arrivals: queue.Queue[tuple[str, float]] = queue.Queue()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        _FrontChannel.arrivals.put(
            (body.get("metadata", {}).get("headers", {}).get(MESSAGE_ID_HEADER, ""), time.perf_counter())
        )
        answer = json.dumps({"status": "accepted", "message_uid": uuid.uuid4().hex}).encode()
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return


def _signed(body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    stamp = str(int(time.time() * 1000))
    signature = base64.b64encode(hmac.new(SECRET.encode(), stamp.encode() + b":" + raw, hashlib.sha256).digest())
    headers = {"Content-Type": "application/json", "X-Front-Signature": signature.decode()}
    return raw, {**headers, "X-Front-Request-Timestamp": stamp}


def _measure(stack: RunningStack) -> list[list[str]]:
    import socketio  # type: ignore[import-untyped]

    from bloom.core.settings import get_settings
    from bloom.livechat import service as livechat
    from bloom.users.repository import UsersRepository
    from bloom.users.schemas import UserRecord

    account = AuthEmulator(stack.auth, stack.project).sign_up("bench-front@example.com")
    user_id = f"user-{account.uid}"
    UsersRepository().save(account.uid, UserRecord.model_validate({"id": user_id, "email": account.email}))
    relayed: list[float] = []
    for n in range(SAMPLES):
        started = time.perf_counter()
        message = livechat.send_user_message(user_id, f"message {n}")
        while True:
            message_id, arrived = _FrontChannel.arrivals.get(timeout=60)
            if message_id == message.id:
                relayed.append(arrived - started)
                break
    replies: queue.Queue[float] = queue.Queue()
    history: queue.Queue[bool] = queue.Queue()
    client = socketio.Client(reconnection=False, websocket_extra_options={"suppress_origin": True})
    client.on("history", lambda _: history.put(True), namespace=NAMESPACE)
    client.on("agent_reply", lambda _: replies.put(time.perf_counter()), namespace=NAMESPACE)
    client.connect(
        stack.api.removesuffix("/api"),
        namespaces=[NAMESPACE],
        auth={"token": account.token},
        headers={"Origin": get_settings().cors_origins[0]},
        transports=["websocket"],
        wait_timeout=30,
    )
    history.get(timeout=30)
    delivered: list[float] = []
    try:
        for n in range(SAMPLES):
            body = {
                "type": "message",
                "payload": {
                    "id": f"msg_bench_{n}",
                    "text": "reply",
                    "recipients": [{"handle": f"bloom-user-{user_id}"}],
                },
                "metadata": {"external_conversation_ids": [f"bloom-user-{user_id}"]},
            }
            raw, headers = _signed(body)
            started = time.perf_counter()
            response = requests.post(f"{stack.api}/webhooks/front", data=raw, headers=headers, timeout=30)
            response.raise_for_status()
            delivered.append(replies.get(timeout=30) - started)
    finally:
        client.disconnect()
    return [
        ["message stored → Front incoming_messages", f"{statistics.median(relayed) * 1000:.0f}",
         f"{max(relayed) * 1000:.0f}"],
        ["Front webhook posted → agent_reply on the socket", f"{statistics.median(delivered) * 1000:.0f}",
         f"{max(delivered) * 1000:.0f}"],
    ]  # fmt: skip


def front_section() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FrontChannel)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    front = {
        "FRONT_API_URL": f"http://127.0.0.1:{server.server_address[1]}",
        "FRONT_CHANNEL_ID": CHANNEL,
        "FRONT_API_TOKEN": TOKEN,
        "FRONT_APP_SECRET": SECRET,
    }
    try:
        with tempfile.TemporaryDirectory() as work_dir:
            process, stack = start_stack(Path(work_dir), front)
            try:
                os.environ.update({**stack.env, **front})
                from bloom.core.settings import get_settings

                get_settings.cache_clear()
                latency = _measure(stack)
            finally:
                stop_stack(process)
    finally:
        server.shutdown()
    print_table(
        f"Live chat and Front ({SAMPLES} samples, local stack, a local Front answering at once)",
        ["figure", "p50 ms", "max ms"],
        latency,
        ["Front's own latency is not in it: add its API's answer time to the first figure"],
    )


if __name__ == "__main__":  # this section alone: `python -m infra.bench_front`
    import logging

    from bloom.core.logging import configure_logging

    configure_logging()
    logging.getLogger().setLevel(logging.WARNING)
    front_section()
