"""The scheduling part of `make bench`, on a real local stack: Firestore round trips (the stack's
`X-Bloom-Firestore-Round-Trips`) and client-side latency of slots (one week and 31 days), hold, book and cancel,
and hold contention: 8 and 32 patients holding one slot at the same moment (winners, p95). Nothing is asserted;
the goals are slots ≤ 2 round trips and hold and book one commit (transaction) each."""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.bench_report import print_table
from infra.stack_runner import RunningStack, start_stack, stop_stack

CALLS = 30  # sequential calls per figure (each hold, book and cancel needs its own slot)
CONTENTION = (8, 32)
ROUNDS = 3  # contention rounds per size, each on a fresh slot
THERAPIST = "bench-therapist"
PRACTICE = "/v1/practice"
WEEK = [{"day": day, "start": "00:00", "end": "24:00"} for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]
AVAILABILITY = {  # every hour of every day is a slot, priced
    "timezone": "UTC",
    "weekly": WEEK,
    "sessionMinutes": 50,
    "bufferMinutes": 10,
    "minNoticeHours": 0,
    "horizonDays": 60,
    "price": {"amount": 6000, "currency": "GBP"},
}


def _z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def slot(n: int) -> str:
    """The n-th hourly slot from two days on (every hour is a slot of the bench's availability)."""
    base = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=2)
    return _z(base + timedelta(hours=n))


def people(stack: RunningStack, patients: int) -> tuple[AuthAccount, list[AuthAccount]]:
    """A therapist (signed in with a second factor) and patients, written directly: setup, not measured."""
    from bloom.users.repository import UsersRepository
    from bloom.users.schemas import UserRecord

    auth = AuthEmulator(stack.auth, stack.project)
    therapist = auth.sign_up("bench.therapist@example.com")
    UsersRepository().save(
        therapist.uid, UserRecord(id="bench-therapist-user", email=therapist.email, therapist_profile_id=THERAPIST)
    )
    accounts = []
    for n in range(patients):
        account = auth.sign_up(f"bench.patient{n}@example.com")
        UsersRepository().save(account.uid, UserRecord(id=f"bench-patient-{n}", email=account.email))
        accounts.append(account)
    return auth.second_factor_token(therapist), accounts


def call(stack: RunningStack, method: str, path: str, who: AuthAccount, body: Any = None) -> tuple[Any, str, float]:
    started = time.perf_counter()
    response = requests.request(method, f"{stack.api}{PRACTICE}/{path}", json=body, headers=who.headers, timeout=60)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code >= 400:
        raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:200]}")
    return response.json(), response.headers.get("X-Bloom-Firestore-Round-Trips", "?"), elapsed


def row(label: str, runs: list[tuple[Any, str, float]]) -> list[str]:
    timings = sorted(elapsed for _, _, elapsed in runs)
    trips = "/".join(sorted({trips for _, trips, _ in runs}))
    return [label, trips, f"{statistics.median(timings):.1f}", f"{timings[max(int(len(timings) * 0.95) - 1, 0)]:.1f}"]


def _contention(stack: RunningStack, patients: list[AuthAccount], start: str) -> tuple[int, int, list[float]]:
    """Every patient holds `start` at once: (winners, 409s, latencies in ms)."""
    barrier = threading.Barrier(len(patients))
    outcomes: list[tuple[int, float]] = []
    lock = threading.Lock()

    def run(who: AuthAccount) -> None:
        barrier.wait()
        started = time.perf_counter()
        response = requests.post(
            f"{stack.api}{PRACTICE}/holds",
            json={"therapistId": THERAPIST, "start": start},
            headers=who.headers,
            timeout=120,
        )
        with lock:
            outcomes.append((response.status_code, (time.perf_counter() - started) * 1000))

    threads = [threading.Thread(target=run, args=(who,)) for who in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = sum(1 for status, _ in outcomes if status == 201)
    taken = sum(1 for status, _ in outcomes if status == 409)
    return winners, taken, [elapsed for _, elapsed in outcomes]


def _measure(stack: RunningStack) -> list[list[str]]:
    therapist, patients = people(stack, max(*CONTENTION, CALLS))
    call(stack, "PUT", f"therapists/{THERAPIST}/availability", therapist, AVAILABILITY)
    now = datetime.now(UTC)

    def slots(days: int) -> Callable[[int], tuple[Any, str, float]]:
        query = f"from={_z(now)}&to={_z(now + timedelta(days=days))}"
        return lambda n: call(stack, "GET", f"therapists/{THERAPIST}/slots?{query}", patients[n])

    holds = [
        call(stack, "POST", "holds", patients[n], {"therapistId": THERAPIST, "start": slot(n)}) for n in range(CALLS)
    ]
    booked = [call(stack, "POST", "appointments", patients[n], {"holdId": holds[n][0]["id"]}) for n in range(CALLS)]
    rows = [
        row("GET slots, 1 week", [slots(7)(n) for n in range(CALLS)]),
        row("GET slots, 31 days", [slots(31)(n) for n in range(CALLS)]),
        row("POST holds", holds),
        row("POST appointments (book)", booked),
        row(
            "POST appointments/:id/cancel",
            [call(stack, "POST", f"appointments/{b[0]['id']}/cancel", patients[n], {}) for n, b in enumerate(booked)],
        ),
    ]
    for size in CONTENTION:
        results = [_contention(stack, patients[:size], slot(CALLS + 24 * (size + r))) for r in range(ROUNDS)]
        latencies = sorted(elapsed for _, _, timings in results for elapsed in timings)
        winners = "/".join(str(w) for w, _, _ in results)
        refused = "/".join(str(t) for _, t, _ in results)
        rows.append(
            [
                f"{size} holds of one slot at once: winners {winners}, 409s {refused}",
                "-",
                f"{statistics.median(latencies):.1f}",
                f"{latencies[max(int(len(latencies) * 0.95) - 1, 0)]:.1f}",
            ]
        )
    return rows


def scheduling_section() -> None:
    with tempfile.TemporaryDirectory() as work_dir:
        process, stack = start_stack(Path(work_dir))
        try:
            os.environ.update(stack.env)
            rows = _measure(stack)
        finally:
            stop_stack(process)
    print_table(
        f"Scheduling on the local stack ({CALLS} calls each, sequential; contention: {ROUNDS} rounds per size)",
        ["figure", "firestore round trips", "p50 ms", "p95 ms"],
        rows,
        [
            "goals: slots ≤ 2 round trips (the user, then availability + the range's day documents in one read);",
            "  hold and book one commit each: a hold is the user, one read, one conditional commit (no transaction,",
            "  so simultaneous claimants never wait on locks); a booking the user and one transaction",
            "  (begin, the hold, its days, commit) plus publishing its event",
            "contention: one winner per round, every other request 409 SLOT_TAKEN (a 503 would show as neither)",
        ],
    )


if __name__ == "__main__":  # this section alone: `python -m infra.bench_scheduling`
    import logging

    from bloom.core.logging import configure_logging

    configure_logging()
    logging.getLogger().setLevel(logging.WARNING)
    scheduling_section()
