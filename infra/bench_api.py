"""The HTTP part of `make bench`: Firestore round trips and latency per request, on a real local stack.

Round trips come from the `X-Bloom-Firestore-Round-Trips` header the local stack adds to every response.
Latency is measured by the client over loopback, so it includes the gateway and the emulators' own cost.
"""

from __future__ import annotations

import importlib
import pkgutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests

import infra.bench_scenarios
from infra.bench_report import print_table
from infra.bench_scenarios import Probe
from infra.stack_runner import RunningStack, start_stack, stop_stack

CALLS = 200


@dataclass(frozen=True)
class Measurement:
    label: str
    method: str
    round_trips: str
    p50_ms: float
    p95_ms: float


def measure(stack: RunningStack, probe: Probe, calls: int = CALLS) -> Measurement:
    session = requests.Session()
    timings: list[float] = []
    trips: set[str] = set()
    for _ in range(probe.calls or calls):
        body = probe.body_factory() if probe.body_factory is not None else probe.body
        started = time.perf_counter()
        response = session.request(
            probe.method, f"{stack.api}{probe.path}", headers=probe.headers, json=body, timeout=30
        )
        timings.append((time.perf_counter() - started) * 1000)
        expected = probe.expect_status or (201 if probe.method == "POST" else 200)
        if response.status_code != expected:
            raise RuntimeError(f"{probe.label}: {response.status_code} {response.text[:200]}")
        trips.add(response.headers.get("X-Bloom-Firestore-Round-Trips", "?"))
    timings.sort()
    return Measurement(
        probe.label,
        probe.method,
        "/".join(sorted(trips)),
        statistics.median(timings),
        timings[int(len(timings) * 0.95) - 1],
    )


def measure_all(stack: RunningStack) -> list[Measurement]:
    """Each scenario module starts from empty emulators, prepares its data, and its probes are measured."""
    results: list[Measurement] = []
    for module in pkgutil.iter_modules(infra.bench_scenarios.__path__, prefix="infra.bench_scenarios."):
        stack.reset()
        results.extend(measure(stack, probe) for probe in importlib.import_module(module.name).scenarios(stack))
    return results


def _flag(result: Measurement) -> str:
    trips = [int(value) for value in result.round_trips.split("/") if value.isdigit()]
    return "  hot read above 1" if result.method == "GET" and trips and max(trips) > 1 else ""


def api_section() -> None:
    with tempfile.TemporaryDirectory() as work_dir:
        process, stack = start_stack(Path(work_dir))
        try:
            results = measure_all(stack)
        finally:
            stop_stack(process)
    print_table(
        f"HTTP on the local stack ({CALLS} calls each, sequential)",
        ["request", "firestore round trips", "p50 ms", "p95 ms"],
        [[r.label, r.round_trips + _flag(r), f"{r.p50_ms:.1f}", f"{r.p95_ms:.1f}"] for r in results],
        [
            "round trips: the values seen across all calls (one value when every call cost the same)",
            "'hot read above 1': a GET that costs more than one round trip",
        ],
    )
