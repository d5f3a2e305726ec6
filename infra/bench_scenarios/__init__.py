"""HTTP bench scenarios, one module per area. Each module defines `scenarios(stack) -> list[Probe]`: it
prepares data through the running stack and returns the requests to measure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Probe:
    """One request the HTTP bench sends repeatedly and times."""

    label: str
    method: str
    path: str  # relative to /api
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    expect_status: int | None = None
    body_factory: Callable[[], Any] | None = None  # a fresh body per call (e.g. a unique email), instead of `body`
    calls: int | None = None  # fewer calls than infra.bench_api.CALLS, e.g. for a rate-limited endpoint
