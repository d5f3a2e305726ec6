"""Polling for effects that arrive asynchronously (Pub/Sub pushes)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(probe: Callable[[], T], until: Callable[[T], bool], timeout_s: float = 30.0) -> T:
    deadline = time.monotonic() + timeout_s
    value = probe()
    while not until(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met after {timeout_s}s; last value: {value!r}")
        time.sleep(0.25)
        value = probe()
    return value
