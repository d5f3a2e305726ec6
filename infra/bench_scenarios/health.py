"""Health endpoints."""

from __future__ import annotations

from infra.bench_scenarios import Probe
from infra.stack_runner import RunningStack


def scenarios(stack: RunningStack) -> list[Probe]:
    return [Probe("GET /api/ping/database", "GET", "/ping/database")]
