"""Ctrl-C on the local stack stops every process it started, java and node grandchildren included."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import requests

from infra.stack_runner import start_stack
from tests.support.wait import eventually


def members(process_group: int) -> set[int]:
    """Live processes of a process group (zombies excluded), read from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, pgrp = fields[0], int(fields[2])
        if pgrp == process_group and state != "Z":
            found.add(int(entry.name))
    return found


def test_interrupt_stops_every_emulator(tmp_path: Path) -> None:
    process, stack = start_stack(tmp_path)
    try:
        groups = json.loads((tmp_path / "stack.json").read_text())["process_groups"]
        assert set(groups) == {"firestore", "pubsub", "auth", "storage"}
        assert all(members(pgid) for pgid in groups.values())
        assert requests.get(f"{stack.api}/ping", timeout=10).json() == "ok"
        os.kill(process.pid, signal.SIGINT)
        assert process.wait(timeout=60) == 0
        eventually(
            lambda: {name: members(pgid) for name, pgid in groups.items()},
            lambda alive: not any(alive.values()),
            timeout_s=20,
        )
        assert not (tmp_path / "stack.json").exists()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
