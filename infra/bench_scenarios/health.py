"""Health endpoints."""

from __future__ import annotations

from infra.bench_api import Probe
from infra.stack_runner import RunningStack


def scenarios(stack: RunningStack) -> list[Probe]:
    return [Probe("GET /api/ping/database", "GET", "/ping/database")]
