"""Runs the real local stack (`python -m infra.stack`) as a subprocess on free ports (tests, bench)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import requests

RESET_ATTEMPTS = 10
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class RunningStack:
    api: str
    env: dict[str, str]
    ports: dict[str, int]
    project: str
    log_path: Path | None = None  # the stack process's stdout and stderr (every function's log lines)

    @property
    def firestore(self) -> str:
        return f"http://{self.env['FIRESTORE_EMULATOR_HOST']}"

    @property
    def auth(self) -> str:
        return f"http://{self.env['FIREBASE_AUTH_EMULATOR_HOST']}"

    @property
    def storage(self) -> str:
        return self.env["STORAGE_EMULATOR_HOST"]

    def reset(self) -> None:
        """Delete every document, every Auth account and every stored object (the emulators' own reset endpoints;
        buckets stay)."""
        documents = f"{self.firestore}/emulator/v1/projects/{self.project}/databases/(default)/documents"
        # The emulator answers 409 while a transaction holds locks (a previous test's subscriber still at work):
        # it is over within moments, so try again a few times.
        for _ in range(RESET_ATTEMPTS - 1):
            response = requests.delete(documents, timeout=30)
            if response.status_code != 409:
                break
            time.sleep(0.5)
        else:
            response = requests.delete(documents, timeout=30)
        response.raise_for_status()
        requests.delete(f"{self.auth}/emulator/v1/projects/{self.project}/accounts", timeout=30).raise_for_status()
        requests.get(f"{self.storage}/wipe", params={"keep-buckets": "true"}, timeout=30).raise_for_status()
        requests.delete(self._rate_limit_clock, timeout=30).raise_for_status()

    def pin_rate_limit_clock(self, at: datetime) -> None:
        """Count the gateway's rate-limit windows at `at` (timezone-aware) until the next `reset`: a test of a
        limit stays inside one window without waiting for a new one."""
        requests.put(self._rate_limit_clock, json={"now": at.isoformat()}, timeout=30).raise_for_status()

    @property
    def _rate_limit_clock(self) -> str:
        return f"{self.api.removesuffix('/api')}/_/rate-limit-clock"


def start_stack(
    work_dir: Path, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], RunningStack]:
    """Start the stack; `extra_env` configures it (e.g. third-party base URLs pointing at local fakes)."""
    state_file = work_dir / "stack.json"
    log = (work_dir / "stack.log").open("wb")
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'shared'}:{ROOT}",
        "BLOOM_OUTBOX_PUBLISH_TIMEOUT_S": "5",
        "BLOOM_OUTBOX_SWEEP_AFTER_S": "1",
        # Tests act as the upstream proxy: the X-Forwarded-For entry they append is the caller's address.
        "BLOOM_TRUSTED_PROXY_HOPS": "2",
        **(extra_env or {}),
    }
    process = subprocess.Popen(  # noqa: S603 - runs our own module
        [
            sys.executable,
            "-m",
            "infra.stack",
            "--free-ports",
            "--port",
            "0",
            "--no-clock",
            "--state-file",
            str(state_file),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 240
    while not state_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_stack(process)
            raise RuntimeError(f"local stack did not start:\n{(work_dir / 'stack.log').read_text()[-4000:]}")
        time.sleep(0.1)
    state = json.loads(state_file.read_text())
    return process, RunningStack(
        api=state["env"]["BLOOM_API_URL"],
        env=state["env"],
        ports=state["ports"],
        project=state["env"]["GOOGLE_CLOUD_PROJECT"],
        log_path=work_dir / "stack.log",
    )


def stop_stack(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
