"""Requests per second of one function instance as Cloud Functions runs it (functions-framework's gunicorn: one
worker, 8 threads) under 8 concurrent keep-alive clients: `ping` through our toolkit against a bare
functions-framework function returning the same body, served from the same deploy bundle and measured in
alternating rounds, so a busy moment of the (shared) machine hits both alike. The ratio is the figure to read;
absolute numbers depend on the machine and on the load generator sharing it."""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from infra.bench_report import print_table
from infra.bench_toolkit import bundle_with_bare

CONCURRENCY = 8
THREADS = 8  # functions-framework's gunicorn threads per worker, as deployed (one worker)
ROUND_S = 3.0
ROUNDS = 5
PING_GOAL_RPS = 1500


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _serve(bundle_dir: Path, target: str, source: str) -> Iterator[int]:
    """functions-framework serving `target` on a free port, as in production (gunicorn, one worker)."""
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),  # noqa: S108 - only a fallback for HOME
        "GOOGLE_CLOUD_PROJECT": "demo-bloom",
        "WORKERS": "1",
        "THREADS": str(THREADS),
    }
    command = [sys.executable, "-m", "functions_framework", "--target", target, "--source", source]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter, constant arguments
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        cwd=bundle_dir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"functions-framework did not start {target}") from None
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def requests_per_second(port: int, path: str, seconds: float, concurrency: int = CONCURRENCY) -> float:
    """Completed 200s per second from `concurrency` clients, each on one keep-alive connection."""
    stop = time.monotonic() + seconds
    counts = [0] * concurrency

    def client(slot: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Origin": "http://localhost:3000"}
        while time.monotonic() < stop:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                counts[slot] += 1
        connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(slot,)) for slot in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started)


def throughput_section(rounds: int = ROUNDS, round_s: float = ROUND_S) -> None:
    with tempfile.TemporaryDirectory(prefix="bloom-bench-throughput-") as tmp:
        bundle_dir = bundle_with_bare(Path(tmp))
        samples: dict[str, list[float]] = {"ping": [], "bare": []}
        with _serve(bundle_dir, "ping", "main.py") as ping, _serve(bundle_dir, "bare", "bare.py") as bare:
            for port, path in ((ping, "/api/ping"), (bare, "/")):
                requests_per_second(port, path, 1.0)  # warm-up: first requests import lazily
            for _ in range(rounds):
                samples["ping"].append(requests_per_second(ping, "/api/ping", round_s))
                samples["bare"].append(requests_per_second(bare, "/", round_s))
    ping_rps, bare_rps = statistics.median(samples["ping"]), statistics.median(samples["bare"])
    print_table(
        f"Throughput of one instance (1 worker, {THREADS} threads, c = {CONCURRENCY}, {rounds} alternating rounds"
        f" of {round_s:.0f} s)",
        ["figure", "note", "value"],
        [
            ["ping (our toolkit), requests/s", f"goal >= {PING_GOAL_RPS} on the reference machine", f"{ping_rps:.0f}"],
            ["bare functions-framework, requests/s", "same body, no toolkit", f"{bare_rps:.0f}"],
            ["ping / bare", "the figure to compare across machines", f"{ping_rps / bare_rps:.2f}x"],
        ],
        left=2,
        notes=[
            "medians of the rounds; the load generator shares the machine with the server, so absolute figures"
            " are lower than a separate client would see"
        ],
    )


if __name__ == "__main__":
    throughput_section()
