"""The search part of `make bench`: `GET practice/search` p50/p95 and Firestore round trips for a reader whose
index holds 1,000 and 50,000 entries (on a real local stack; entries written straight through the search
service's `index_in`, as a message's transaction writes them, not measured). The round trips must not grow:
authentication, one query for the candidates, one batched read of their grants.

The emulator answers a query by scanning the collection (it keeps no real indexes): its latency grows with the
collection (about 130 s a query at 50,000 entries on the shared bench machine), where Firestore serves the
query from its composite index. So the large size makes few calls, and its latency measures the emulator."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import requests

from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.bench_report import print_table
from infra.stack_runner import RunningStack, start_stack, stop_stack

CALLS = {1_000: 20, 50_000: 3}  # per reader's index size (the route allows 60 a minute per user)
THREADS = 100  # the entries are spread over this many threads (scopes)
WORDS = ("sleep", "therapy", "garden", "nightmares", "family", "work", "walking", "breathing")
QUERY = "therapy sleep"


def _reader(auth: AuthEmulator, email: str) -> AuthAccount:
    from bloom.users.repository import UsersRepository
    from bloom.users.schemas import UserRecord

    account = auth.sign_up(email)
    UsersRepository().save(account.uid, UserRecord(id=f"user-{account.uid}", email=email, name="Bench"))
    return account


def _index(reader_id: str, count: int) -> None:
    """`count` message entries of `reader_id`, each holding two to four of `WORDS`, in committed batches."""
    from bloom.core.time import utcnow
    from bloom.search import service
    from bloom.search.repository import SearchWork
    from bloom.search.schemas import IndexedRecord, ReaderView, thread_scope

    now = utcnow()
    for start in range(0, count, 400):
        with SearchWork() as uow:
            for index in range(start, min(count, start + 400)):
                text = " ".join(WORDS[(index + k * 3) % len(WORDS)] for k in range(2 + index % 3))
                thread_id = f"bench-{reader_id}-{index % THREADS}"
                view = ReaderView(reader_id=reader_id, text=f"message {index}: {text}", scope=thread_scope(thread_id))
                record = IndexedRecord(
                    kind="message",
                    record_id=f"m{index}",
                    at=now - timedelta(seconds=index),
                    thread_id=thread_id,
                    views=[view],
                )
                service.index_in(uow, record)


def _measure(stack: RunningStack, account: AuthAccount, calls: int) -> tuple[str, float, float]:
    session = requests.Session()
    timings: list[float] = []
    trips: set[str] = set()
    for _ in range(calls):
        started = time.perf_counter()
        response = session.get(
            f"{stack.api}/v1/practice/search", params={"q": QUERY}, headers=account.headers, timeout=600
        )
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"search: {response.status_code} {response.text[:200]}")
        trips.add(response.headers.get("X-Bloom-Firestore-Round-Trips", "?"))
    timings.sort()
    return "/".join(sorted(trips)), statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def search_section() -> None:
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as work_dir:
        process, stack = start_stack(Path(work_dir), {})
        try:
            os.environ.update(stack.env)
            from bloom.core.settings import get_settings

            get_settings.cache_clear()
            auth = AuthEmulator(stack.auth, stack.project)
            for size, calls in CALLS.items():
                account = _reader(auth, f"bench-search-{size}@example.com")
                _index(f"user-{account.uid}", size)
                trips, p50, p95 = _measure(stack, account, calls)
                rows.append([f"{size:,} entries", str(calls), trips, f"{p50:.0f}", f"{p95:.0f}"])
        finally:
            stop_stack(process)
    print_table(
        f"Search on the local stack ('{QUERY}'; every entry matches a word)",
        ["reader's index", "calls", "firestore round trips", "p50 ms", "p95 ms"],
        rows,
        [
            "round trips: authentication (the rate limit's counter overlapping the user read), the candidates",
            "(one query, newest 200 holding any query word), their grants (one batched read); 4 only on an",
            "instance's first search, which reads the search key once",
            "latency: the emulator scans the collection per query (no real indexes), Firestore does not",
        ],
    )
