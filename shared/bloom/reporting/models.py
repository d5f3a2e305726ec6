"""Reporting's stored records and the rules that need no I/O: periods in the reporting time zone, counter
document ids and sums, run records.

Counters: each event adds to one shard of its day's document and of its month's document
(`reportingCounters/day_2026-03-29_3`, `reportingCounters/month_2026-03_3`), chosen by the event id, so no
document takes more than a fraction of the writes at peak. A digest reads the days of a daily or weekly period
(7 x SHARDS at most) and the months of longer ones (12 x SHARDS for a year): its cost depends on the period,
never on the number of users.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field

from bloom.core.models import CamelModel
from bloom.reporting.schemas import Anomaly, Period, RunStatus

SHARDS = 8
DAY, MONTH = "day", "month"


# ---------------------------------------------------------------- periods (in the reporting time zone)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_start_containing(period: Period, day: date) -> date:
    if period == "daily":
        return day
    if period == "weekly":
        return day - timedelta(days=day.weekday())
    if period == "monthly":
        return day.replace(day=1)
    if period == "quarterly":
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return date(day.year, 1, 1)


def period_end(period: Period, start: date) -> date:
    """The first day after the period that starts on `start`."""
    if period == "daily":
        return start + timedelta(days=1)
    if period == "weekly":
        return start + timedelta(days=7)
    return _add_months(start, {"monthly": 1, "quarterly": 3, "yearly": 12}[period])


def is_period_start(period: Period, day: date) -> bool:
    return period_start_containing(period, day) == day


def previous_start(period: Period, start: date, count: int = 1) -> date:
    """The start of the period `count` periods before the one starting on `start`."""
    for _ in range(count):
        start = period_start_containing(period, start - timedelta(days=1))
    return start


def last_whole_period(period: Period, today: date) -> date:
    """The start of the previous whole period: what the digest run on `today` covers."""
    return previous_start(period, period_start_containing(period, today))


def local_day(moment: datetime, zone: str) -> date:
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no day in a time zone")
    return moment.astimezone(ZoneInfo(zone)).date()


def day_start(day: date, zone: str) -> datetime:
    """Midnight at the start of `day` in the zone (always exists: transitions happen at 01:00 or later)."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))


def days(start: date, end: date) -> Iterator[date]:
    day = start
    while day < end:
        yield day
        day += timedelta(days=1)


# ---------------------------------------------------------------- counter documents


def shard_of(event_id: str) -> int:
    return zlib.crc32(event_id.encode()) % SHARDS


def day_doc_id(day: date, shard: int) -> str:
    return f"{DAY}_{day.isoformat()}_{shard}"


def month_doc_id(day: date, shard: int) -> str:
    return f"{MONTH}_{day.year:04d}-{day.month:02d}_{shard}"


def counter_doc_ids(period: Period, start: date) -> list[str]:
    """Every counter document a digest of the period reads: days for daily/weekly, months for longer."""
    end = period_end(period, start)
    if period in ("daily", "weekly"):
        return [day_doc_id(day, shard) for day in days(start, end) for shard in range(SHARDS)]
    months: list[date] = []
    month = start
    while month < end:
        months.append(month)
        month = _add_months(month, 1)
    return [month_doc_id(month, shard) for month in months for shard in range(SHARDS)]


class CounterDoc(CamelModel):
    """One shard of a day's or month's counters. Values are kept raw: a bad one fails only its own metric."""

    kind: str = DAY
    key: str = ""
    counts: dict[str, Any] = Field(default_factory=dict)
    breakdowns: dict[str, Any] = Field(default_factory=dict)


def _as_count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("counter value is not an integer")
    return value


def sum_metric(docs: Iterable[CounterDoc], metric: str) -> int:
    """The metric's total over the documents (0 when none counted it); raises on a corrupt value."""
    return sum(_as_count(doc.counts[metric]) for doc in docs if metric in doc.counts)


def sum_breakdown(docs: Iterable[CounterDoc], name: str) -> dict[str, int]:
    total: dict[str, int] = {}
    for doc in docs:
        values = doc.breakdowns.get(name) or {}
        if not isinstance(values, dict):
            raise ValueError("breakdown is not a map")
        for key, value in values.items():
            total[str(key)] = total.get(str(key), 0) + _as_count(value)
    return {key: value for key, value in total.items() if value}


# ---------------------------------------------------------------- the support and credentialing dashboards

# Per-day counters (day documents) the dashboards' means come from: answered/resolved tickets and their minutes.
FIRST_RESPONSES, FIRST_RESPONSE_MINUTES_TOTAL = "supportFirstResponses", "supportFirstResponseMinutesTotal"
RESOLUTIONS, RESOLUTION_MINUTES_TOTAL = "supportResolutions", "supportResolutionMinutesTotal"
# Running gauges: each change adds its delta to the gauge shards and to its day's document (so a past day's
# closing value is the running total minus the changes of the days after it).
OPEN_TICKETS = "supportOpenTickets"
APPLICATIONS_BY_STATUS = "credentialingApplicationsByStatus"
# What the daily export writes for these dashboards besides the digest's metrics.
FIRST_RESPONSE_MINUTES, RESOLUTION_MINUTES = "supportFirstResponseMinutes", "supportResolutionMinutes"
DASHBOARD_METRICS = (OPEN_TICKETS, FIRST_RESPONSE_MINUTES, RESOLUTION_MINUTES)
GAUGE = "gauge"


def gauge_doc_ids() -> list[str]:
    """The shards of the running gauges (`reportingCounters/gauge_3`)."""
    return [f"{GAUGE}_{shard}" for shard in range(SHARDS)]


def _mean(docs: list[CounterDoc], total: str, count: str) -> int | None:
    """Whole minutes, rounded; None (nothing written) on a day with none."""
    how_many = sum_metric(docs, count)
    return round(sum_metric(docs, total) / how_many) if how_many else None


def dashboard_figures(
    day: list[CounterDoc], later: list[CounterDoc], gauges: list[CounterDoc]
) -> tuple[dict[str, int | None], dict[str, dict[str, int]]]:
    """(metrics, breakdowns) the dashboards read for a day, from its shards, the shards of the days since (whose
    changes are taken off the running gauges) and the gauge shards. Raises on a corrupt value."""
    metrics: dict[str, int | None] = {
        OPEN_TICKETS: sum_metric(gauges, OPEN_TICKETS) - sum_metric(later, OPEN_TICKETS),
        FIRST_RESPONSE_MINUTES: _mean(day, FIRST_RESPONSE_MINUTES_TOTAL, FIRST_RESPONSES),
        RESOLUTION_MINUTES: _mean(day, RESOLUTION_MINUTES_TOTAL, RESOLUTIONS),
    }
    by_status = sum_breakdown(gauges, APPLICATIONS_BY_STATUS)
    for status, change in sum_breakdown(later, APPLICATIONS_BY_STATUS).items():
        by_status[status] = by_status.get(status, 0) - change
    return metrics, {APPLICATIONS_BY_STATUS: {status: n for status, n in sorted(by_status.items()) if n}}


# ---------------------------------------------------------------- weekly retention cohorts

RETENTION_WEEKS = (1, 4, 12)  # a cohort's users active again this many weeks after their signup week
COHORT_SIGNUPS = "signups"


def week_of(day: date) -> date:
    """The Monday that starts the day's week (reporting weeks start on Monday)."""
    return day - timedelta(days=day.weekday())


def active_again_metric(weeks: int) -> str:
    return f"activeAgain{weeks}"


def weeks_after_signup(signup_week: date, active_day: date) -> int | None:
    """Which retention offset an activity on `active_day` counts for (None: not one of RETENTION_WEEKS)."""
    weeks = (week_of(active_day) - signup_week).days // 7
    return weeks if weeks in RETENTION_WEEKS else None


def cohort_doc_ids(signup_week: date) -> list[str]:
    return [f"{signup_week.isoformat()}_{shard}" for shard in range(SHARDS)]


def measured_cohorts(day: date) -> dict[int, date]:
    """For each offset N, the cohort whose week N contains `day`: the figures the daily export writes (so far)."""
    return {weeks: week_of(day) - timedelta(weeks=weeks) for weeks in RETENTION_WEEKS}


class CohortMember(CamelModel):
    """`reportingCohortMembers/{userId}`: the signup week of a user counted in a cohort (erased with the user)."""

    signup_week: str  # YYYY-MM-DD, a Monday


class RetentionMark(CamelModel):
    """`reportingRetentionMarks/{userId}_{weeks}`: the user was counted active again N weeks after signup."""

    counted_at: datetime


# ---------------------------------------------------------------- events already counted


class CountedEvent(CamelModel):
    """`reportingEvents/{eventId}`: claimed in the transaction that adds the event to the counters."""

    topic: str
    counted_at: datetime
    expire_at: datetime


CLAIM_RETENTION = timedelta(days=30)  # longer than Pub/Sub retries and dead-letter replays


# ---------------------------------------------------------------- digest runs


RUN_LEASE = timedelta(minutes=5)


def run_id(period: Period, start: date) -> str:
    return f"{period}_{start.isoformat()}"


class RunRecord(CamelModel):
    """`reportingRuns/{period}_{start}`: one per digest, so a re-fire never posts twice."""

    id: str
    period: Period
    start: str  # YYYY-MM-DD (sorts as text)
    end: str
    status: RunStatus
    lease_until: datetime | None = None
    computed: bool = False
    metrics: dict[str, int | None] = Field(default_factory=dict)
    breakdowns: dict[str, dict[str, int]] = Field(default_factory=dict)
    anomalies: list[Anomaly] = Field(default_factory=list)
    failed_metrics: list[str] = Field(default_factory=list)
    error: str | None = None
    slack_ts: str | None = None
    replies_posted: int = 0
    exported: bool = False  # the daily figures were written to Cloud Monitoring (bloom.reporting.export)
    attempts: int = 0
    created_at: datetime
    updated_at: datetime


def may_start(run: RunRecord | None, now: datetime) -> bool:
    """A run may (re)start unless it was sent or another attempt holds an unexpired lease."""
    if run is None:
        return True
    if run.status == "sent":
        return False
    return not (run.status == "pending" and run.lease_until is not None and run.lease_until > now)
