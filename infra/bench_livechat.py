"""The live chat part of `make bench`, on a real local stack and one service process (uvicorn, as Cloud Run runs
it): the service's resident memory as connected sockets grow (one user each, so one Firestore listener each: the
figure that sizes the Cloud Run concurrency), `send_message` → ack p50, and a team reply stored (what the Front
webhook does) → `agent_reply` on the socket p50. Nothing is asserted."""

from __future__ import annotations

import os
import queue
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from infra.auth_emulator import AuthEmulator
from infra.bench_report import print_table
from infra.stack_runner import RunningStack, start_stack, stop_stack

STEPS = (1, 50, 100, 200)  # connected sockets
SAMPLES = 20  # sends and replies timed
NAMESPACE = "/front-chat"


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _connect(origin: str, token: str, replies: queue.Queue[float] | None = None) -> Any:
    import socketio  # type: ignore[import-untyped]

    from bloom.core.settings import get_settings

    client = socketio.Client(reconnection=False, websocket_extra_options={"suppress_origin": True})  # ours only
    history: queue.Queue[bool] = queue.Queue()
    client.on("history", lambda _: history.put(True), namespace=NAMESPACE)
    if replies is not None:
        client.on("agent_reply", lambda _: replies.put(time.perf_counter()), namespace=NAMESPACE)
    client.connect(
        origin,
        namespaces=[NAMESPACE],
        auth={"token": token},
        headers={"Origin": get_settings().cors_origins[0]},
        transports=["websocket"],
        wait_timeout=30,
    )
    history.get(timeout=30)  # the user's listener is up
    return client


def _measure(stack: RunningStack, work_dir: Path) -> tuple[list[list[str]], list[list[str]]]:
    from bloom.core.time import utcnow
    from bloom.livechat import service as livechat
    from bloom.platform.registry import registered_services
    from bloom.users.repository import UsersRepository
    from bloom.users.schemas import UserRecord
    from infra.manifest import load_everything
    from infra.stack import service_processes

    load_everything()
    [(process, port)] = service_processes(list(registered_services().values()), work_dir).values()
    process.start()
    process.wait_ready(60)
    origin = f"http://127.0.0.1:{port}"
    auth = AuthEmulator(stack.auth, stack.project)
    accounts = []
    for n in range(max(STEPS)):
        account = auth.sign_up(f"bench-{n}@example.com")
        UsersRepository().save(
            account.uid, UserRecord.model_validate({"id": f"user-{account.uid}", "email": account.email})
        )
        accounts.append(account)
    clients: list[Any] = []
    memory: list[list[str]] = []
    try:
        assert process.pid is not None
        memory.append(["0", f"{_rss_mb(process.pid):.0f}", "-"])
        first = 0.0  # the first socket loads the SDKs (Firestore, firebase-admin): the others cost what follows
        for step in STEPS:
            while len(clients) < step:
                clients.append(_connect(origin, accounts[len(clients)].token))
            time.sleep(2)  # let the listeners' first snapshots settle
            rss = _rss_mb(process.pid)
            first = first or rss
            each = f"{(rss - first) * 1024 / (step - 1):.0f}" if step > 1 else "-"
            memory.append([str(step), f"{rss:.0f}", each])
        replies: queue.Queue[float] = queue.Queue()
        timed = _connect(origin, accounts[0].token, replies)
        clients.append(timed)
        acks, relays = [], []
        for n in range(SAMPLES):
            started = time.perf_counter()
            timed.call("send_message", {"text": f"message {n}"}, namespace=NAMESPACE, timeout=10)
            acks.append(time.perf_counter() - started)
            started = time.perf_counter()
            livechat.record_agent_reply(
                f"user-{accounts[0].uid}", front_message_id=f"bench-{n}", text="reply", attachments=[], at=utcnow()
            )
            relays.append(replies.get(timeout=30) - started)
            time.sleep(0.5)  # under the 20-per-10-seconds send limit
    finally:
        for client in clients:
            client.disconnect()
        process.stop()
    latency = [
        ["send_message → ack", f"{statistics.median(acks) * 1000:.0f}", f"{max(acks) * 1000:.0f}"],
        ["reply stored → agent_reply", f"{statistics.median(relays) * 1000:.0f}", f"{max(relays) * 1000:.0f}"],
    ]
    return memory, latency


def livechat_section() -> None:
    with tempfile.TemporaryDirectory() as work_dir:
        process, stack = start_stack(Path(work_dir))
        try:
            os.environ.update(stack.env)
            memory, latency = _measure(stack, Path(work_dir))
        finally:
            stop_stack(process)
    print_table(
        "Live chat service: resident memory by connected sockets (one user, so one Firestore listener, each)",
        ["sockets", "RSS MB", "KB per socket after the first"],
        memory,
        ["sizes the Cloud Run concurrency (`CONCURRENCY` in functions/livechat_socket.py) within its 512 MB"],
    )
    print_table(
        f"Live chat latency ({SAMPLES} samples, one socket, the other sockets connected)",
        ["figure", "p50 ms", "max ms"],
        latency,
        ["the Front call itself is the relay subscriber's (front engineer's bench); this is our side of it"],
    )


if __name__ == "__main__":  # this section alone: `python -m infra.bench_livechat`
    import logging

    from bloom.core.logging import configure_logging

    configure_logging()
    logging.getLogger().setLevel(logging.WARNING)
    livechat_section()
