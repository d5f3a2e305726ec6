"""The reporting part of `make bench`: what a daily and a yearly digest cost at 1,000 and at 20,000 users.

Users (with a session started by one in five) are written as records, then the counters are rebuilt through
the backfill (`bloom.reporting.backfill`), as on a first deploy. Each digest is then run for real
(`run_digest`, Slack a local fake) five times, its run record removed in between.

"documents read" is what Firestore bills the digest: every counter shard and earlier run it asks for (a
missing document counts as read) plus the activeUsers count aggregation, billed one read per 1,000 index
entries matched (at least one). Round trips are counted by the repositories, as for the HTTP figures.
"""

from __future__ import annotations

import math
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pytest_httpserver import HTTPServer

from bloom.reporting.schemas import Period
from infra.bench_report import print_table
from infra.stack_runner import RunningStack, start_stack, stop_stack

SIZES = (1_000, 20_000)
PERIODS = ("daily", "yearly")
RUNS = 5
BATCH = 400


def _seed(users: int, first: date, last: date) -> None:
    """`users` user records created in [first, first + 1 year) and last active up to `last`, written in batches."""
    from bloom.content.models import SessionUserRecord
    from bloom.content.repository import SessionUsersRepository
    from bloom.platform.store.client import db
    from bloom.users.repository import UsersRepository
    from bloom.users.schemas import UserRecord

    rng = random.Random(users)  # noqa: S311 - reproducible bench data, nothing secret
    users_repo, sessions_repo = UsersRepository(), SessionUsersRepository()
    span = (last - first).days
    batch = db().batch()
    pending = 0
    for n in range(users):
        created = datetime(first.year, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(365 * 24 * 60))
        active = datetime.combine(first, datetime.min.time(), UTC) + timedelta(minutes=rng.randrange(span * 24 * 60))
        user = UserRecord(
            id=str(uuid.uuid4()),
            email=f"bench{n}@example.com",
            created_at=created,
            last_active_at=max(created, active),
            sign_up_language=rng.choice(["en", "es", "fr"]),
        )
        batch.set(users_repo.ref(f"bench-{n}"), users_repo.to_doc(user))
        pending += 1
        if n % 5 == 0:
            record = SessionUserRecord(
                user_id=user.id,
                session_uuid="bench-session",
                course_uuid="bench-course",
                created_at=created,
                updated_at=created,
            )
            batch.set(sessions_repo.ref(f"{user.id}_bench-session"), sessions_repo.to_doc(record))
            pending += 1
        if pending >= BATCH:
            batch.commit()
            batch, pending = db().batch(), 0
    if pending:
        batch.commit()


def _documents_read(period: Period, start: date, active: int) -> int:
    from bloom.reporting.digest import baseline_size
    from bloom.reporting.models import counter_doc_ids

    return len(counter_doc_ids(period, start)) + baseline_size(period) + max(1, math.ceil(active / 1000))


def _measure(period: Period, start: date) -> tuple[int, int, float, float]:
    """(documents read, round trips, median wall ms, median ms of the activeUsers count alone) of the digest."""
    from bloom.core.settings import get_settings
    from bloom.platform.store.client import db, start_round_trip_count
    from bloom.reporting import service as reporting
    from bloom.reporting.models import day_start, period_end, run_id
    from bloom.users import service as users

    walls: list[float] = []
    trips = 0
    for _ in range(RUNS):
        db().collection("reportingRuns").document(run_id(period, start)).delete()
        counter = start_round_trip_count()
        began = time.perf_counter()
        run = reporting.run_digest(period, start)
        walls.append((time.perf_counter() - began) * 1000)
        trips = counter.count
        if run.status != "sent":
            raise RuntimeError(f"bench digest {period} {start}: {run.status} {run.error}")
    zone = get_settings().reporting_timezone
    span = day_start(start, zone), day_start(period_end(period, start), zone)
    counts: list[float] = []
    for _ in range(RUNS):
        began = time.perf_counter()
        active = users.count_active_between(*span)
        counts.append((time.perf_counter() - began) * 1000)
    return _documents_read(period, start, active), trips, statistics.median(walls), statistics.median(counts)


def reporting_section() -> None:
    from bloom.core.settings import get_settings
    from bloom.core.time import utcnow
    from bloom.reporting.backfill import backfill
    from bloom.reporting.models import last_whole_period, local_day

    fake = HTTPServer()
    fake.start()
    fake.expect_request("/slack-api/chat.postMessage").respond_with_json({"ok": True, "ts": "1.1"})
    slack = {
        "SLACK_API_URL": fake.url_for("/slack-api/"),
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_REPORTING_CHANNEL": "C0BENCH",
    }
    rows: list[list[str]] = []
    figures: dict[tuple[str, int], int] = {}
    with tempfile.TemporaryDirectory() as work_dir:
        process, stack = start_stack(Path(work_dir), slack)
        try:
            _use(stack, slack)
            today = local_day(utcnow(), get_settings().reporting_timezone)
            year = last_whole_period("yearly", today)
            yesterday = last_whole_period("daily", today)
            for size in SIZES:
                stack.reset()
                began = time.perf_counter()
                _seed(size, year, today)
                backfill(year)
                seeded_s = time.perf_counter() - began
                digests: tuple[tuple[Period, date], ...] = (("daily", yesterday), ("yearly", year))
                for period, start in digests:
                    read, trips, wall, count_ms = _measure(period, start)
                    figures[(period, size)] = read
                    rows.append(
                        [
                            period,
                            f"{size:,}",
                            str(read),
                            str(trips),
                            f"{wall:.0f}",
                            f"{count_ms:.0f}",
                            f"{seeded_s:.0f}",
                        ]
                    )
        finally:
            stop_stack(process)
            fake.stop()
    ratios = [f"{p} 20k/1k documents read: {figures[(p, SIZES[1])] / figures[(p, SIZES[0])]:.2f}" for p in PERIODS]
    print_table(
        f"Reporting digests (median of {RUNS} runs; users seeded through the backfill path)",
        ["digest", "users", "documents read", "round trips", "wall ms", "activeUsers count ms", "seed+backfill s"],
        rows,
        notes=[
            "documents read: counter shards and earlier runs asked for + the activeUsers count (1 per 1,000 matched)",
            "activeUsers count ms: the count aggregation alone (the emulator scans the collection; Firestore's"
            " latency grows with the index entries matched)",
            *ratios,
        ],
    )


def _use(stack: RunningStack, extra: dict[str, str]) -> None:
    from bloom.core.settings import get_settings

    os.environ.update({**stack.env, **extra})
    get_settings.cache_clear()


if __name__ == "__main__":
    reporting_section()
