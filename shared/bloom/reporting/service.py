"""Reporting's use cases: count a domain event, run a digest (idempotently), list the runs.

Counting: the subscriber of each topic calls `count_event`; the event id is claimed in `reportingEvents` in
the same transaction that increments the counters, so a redelivery (or a replay of dead letters) never counts
twice, whatever happened to the toolkit's own dedupe record.

A digest run: claim the run record (`pending`, with a lease), compute and store the metrics once, post the
headline and then each thread reply, recording the headline's ts and the replies posted as it goes, and end
`sent` or `failed`. A re-fire of a sent run does nothing; a re-run of a failed one posts what is missing with
the metrics computed the first time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import partial

from pydantic import BaseModel

from bloom.core.logging import get_logger
from bloom.core.settings import get_settings
from bloom.core.time import utcnow
from bloom.reporting import digest, export, slack
from bloom.reporting.counting import tally_of
from bloom.reporting.errors import NOT_A_PERIOD_START, PERIOD_NOT_OVER
from bloom.reporting.models import (
    CLAIM_RETENTION,
    COHORT_SIGNUPS,
    DASHBOARD_METRICS,
    DAY,
    GAUGE,
    MONTH,
    RETENTION_WEEKS,
    RUN_LEASE,
    SHARDS,
    CohortMember,
    CountedEvent,
    CounterDoc,
    RetentionMark,
    RunRecord,
    active_again_metric,
    cohort_doc_ids,
    counter_doc_ids,
    dashboard_figures,
    day_doc_id,
    day_start,
    gauge_doc_ids,
    is_period_start,
    last_whole_period,
    local_day,
    may_start,
    measured_cohorts,
    month_doc_id,
    period_end,
    previous_start,
    run_id,
    shard_of,
    sum_breakdown,
    sum_metric,
    week_of,
    weeks_after_signup,
)
from bloom.reporting.repository import ReportingWork
from bloom.reporting.schemas import BREAKDOWNS, METRICS, Period, RunOut
from bloom.users import service as users
from bloom.users.events import UserCreated

_log = get_logger(__name__)


# ---------------------------------------------------------------- counting events


def _moment(*candidates: str | None) -> datetime:
    """The first of the ISO timestamps given that carries a zone, else now."""
    for candidate in candidates:
        if candidate:
            parsed = datetime.fromisoformat(candidate.replace("Z", "+00:00"))
            if parsed.tzinfo is not None:
                return parsed
    return utcnow()


def count_event(topic: str, payload: BaseModel, event_id: str, published_at: str | None = None) -> bool:
    """Add the event to its day's and month's counters, once per event id. False when it counts nothing or was
    already counted."""
    tally = tally_of(topic, payload)
    if tally is None:
        return False
    day = local_day(_moment(tally.when, published_at), get_settings().reporting_timezone)
    shard = shard_of(event_id)
    counts = {**tally.counts, **tally.gauges}
    breakdowns = {**tally.breakdowns, **tally.gauge_breakdowns}

    def work(uow: ReportingWork) -> bool:
        if uow.counted.get(event_id) is not None:
            return False
        now = utcnow()
        uow.counted.create(event_id, CountedEvent(topic=topic, counted_at=now, expire_at=now + CLAIM_RETENTION))
        uow.counters.add(day_doc_id(day, shard), DAY, day.isoformat(), counts, breakdowns)
        month_key = f"{day.year:04d}-{day.month:02d}"
        uow.counters.add(month_doc_id(day, shard), MONTH, month_key, counts, breakdowns)
        if tally.gauges or tally.gauge_breakdowns:
            uow.counters.add(gauge_doc_ids()[shard], GAUGE, "", tally.gauges, tally.gauge_breakdowns)
        return True

    return ReportingWork.run_in_transaction(work)


# ---------------------------------------------------------------- weekly retention

COHORT = "cohort"


def join_cohort(signup: UserCreated) -> bool:
    """A new user joins the cohort of their signup week, once: the member document is the marker."""
    week = week_of(local_day(_moment(signup.created_at), get_settings().reporting_timezone))

    def work(uow: ReportingWork) -> bool:
        if uow.members.get(signup.user_id) is not None:
            return False
        uow.members.create(signup.user_id, CohortMember(signup_week=week.isoformat()))
        shard = cohort_doc_ids(week)[shard_of(signup.user_id)]
        uow.cohorts.add(shard, COHORT, week.isoformat(), {COHORT_SIGNUPS: 1}, {})
        return True

    return ReportingWork.run_in_transaction(work)


def record_activity(user_id: str, occurred_at: str) -> bool:
    """An activity of a cohort member 1, 4 or 12 weeks after their signup week counts them active again, once per
    offset (a marker per user and offset, created with the increment). Users who signed up before the cohorts
    existed have no member document and count nowhere."""
    day = local_day(_moment(occurred_at), get_settings().reporting_timezone)

    def work(uow: ReportingWork) -> bool:
        member = uow.members.get(user_id)
        if member is None:
            return False
        signup_week = date.fromisoformat(member.signup_week)
        weeks = weeks_after_signup(signup_week, day)
        mark_id = f"{user_id}_{weeks}"
        if weeks is None or uow.marks.get(mark_id) is not None:
            return False
        uow.marks.create(mark_id, RetentionMark(counted_at=utcnow()))
        shard = cohort_doc_ids(signup_week)[shard_of(user_id)]
        uow.cohorts.add(shard, COHORT, member.signup_week, {active_again_metric(weeks): 1}, {})
        return True

    return ReportingWork.run_in_transaction(work)


def leave_cohort(user_id: str) -> None:
    """An erased user's member document and marks go; the cohort's counts (no one in them) stay."""
    with ReportingWork() as uow:
        uow.members.delete(user_id)
        for weeks in RETENTION_WEEKS:
            uow.marks.delete(f"{user_id}_{weeks}")


def retention_figures(day: date) -> dict[int, tuple[int, int]]:
    """weeks after signup -> (signups, active again) of the cohort whose week N contains `day`, so far."""
    cohorts = measured_cohorts(day)
    with ReportingWork() as uow:
        docs = uow.cohorts.get_many([doc_id for week in cohorts.values() for doc_id in cohort_doc_ids(week)])
    figures: dict[int, tuple[int, int]] = {}
    for weeks, week in cohorts.items():
        shards = [doc for doc_id, doc in docs.items() if doc_id in cohort_doc_ids(week)]
        figures[weeks] = (sum_metric(shards, COHORT_SIGNUPS), sum_metric(shards, active_again_metric(weeks)))
    return figures


# ---------------------------------------------------------------- computing a period's metrics


COUNTED_METRICS = tuple(metric for metric in METRICS if metric != "activeUsers")


def _safely(name: str, failed: list[str], compute: Callable[[], int]) -> int | None:
    try:
        return compute()
    except Exception as exc:  # one metric failing never stops the digest: it is reported as null
        _log.error("reporting metric failed", extra={"metric": name, "errorType": type(exc).__name__})
        failed.append(name)
        return None


def compute(period: Period, start: date) -> tuple[dict[str, int | None], dict[str, dict[str, int]], list[str]]:
    """(metrics, breakdowns, failed metric names) of the period: the counter shards it covers, plus one count
    aggregation for activeUsers. The documents read depend on the period only (see `models`)."""
    zone = get_settings().reporting_timezone
    end = period_end(period, start)
    failed: list[str] = []
    try:
        with ReportingWork() as uow:
            docs: list[CounterDoc] | None = list(uow.counters.get_many(counter_doc_ids(period, start)).values())
    except Exception as exc:
        _log.error("reporting counters unreadable", extra={"errorType": type(exc).__name__})
        docs = None
    metrics: dict[str, int | None] = {}
    for metric in COUNTED_METRICS:
        if docs is None:
            failed.append(metric)
            metrics[metric] = None
        else:
            metrics[metric] = _safely(metric, failed, partial(sum_metric, docs, metric))
    metrics["activeUsers"] = _safely(
        "activeUsers", failed, lambda: users.count_active_between(day_start(start, zone), day_start(end, zone))
    )
    breakdowns: dict[str, dict[str, int]] = {}
    for name in BREAKDOWNS:
        try:
            breakdowns[name] = sum_breakdown(docs or [], name)
        except ValueError:
            failed.append(name)
    ordered = {metric: metrics[metric] for metric in METRICS}
    return ordered, {name: values for name, values in breakdowns.items() if values}, failed


# ---------------------------------------------------------------- runs


def _claim_run(period: Period, start: date) -> RunRecord | None:
    """Take the run for this attempt (pending, leased); None when it was sent or another attempt holds it."""
    doc_id = run_id(period, start)

    def work(uow: ReportingWork) -> RunRecord | None:
        run = uow.runs.get(doc_id)
        now = utcnow()
        if not may_start(run, now):
            return None
        if run is None:
            end = period_end(period, start)
            run = RunRecord(
                id=doc_id,
                period=period,
                start=start.isoformat(),
                end=end.isoformat(),
                status="pending",
                created_at=now,
                updated_at=now,
            )
        run = run.model_copy(
            update={
                "status": "pending",
                "lease_until": now + RUN_LEASE,
                "attempts": run.attempts + 1,
                "updated_at": now,
            }
        )
        uow.runs.save(doc_id, run)
        return run

    return ReportingWork.run_in_transaction(work)


def _save(run: RunRecord, **changes: object) -> RunRecord:
    updated = run.model_copy(update={**changes, "updated_at": utcnow()})
    with ReportingWork() as uow:
        uow.runs.save(updated.id, updated)
    return updated


def _baseline(period: Period, start: date) -> list[dict[str, int | None]]:
    """The metrics of the last runs of this period before `start` (7 daily, 4 otherwise): one batched read."""
    starts = [previous_start(period, start, n) for n in range(1, digest.baseline_size(period) + 1)]
    with ReportingWork() as uow:
        found = uow.runs.get_many(run_id(period, earlier) for earlier in starts)
    return [run.metrics for run in found.values() if run.computed]


def run_digest(period: Period, start: date) -> RunOut:
    """Run the digest of the period starting on `start`: idempotent (see the module docstring)."""
    claimed = _claim_run(period, start)
    if claimed is None:
        with ReportingWork() as uow:
            existing = uow.runs.get(run_id(period, start))
        assert existing is not None  # a run that may not start exists
        _log.info("reporting run skipped", extra={"run": existing.id, "status": existing.status})
        return run_out(existing)
    run = claimed
    if not run.computed:
        metrics, breakdowns, failed = compute(period, start)
        found = digest.anomalies(period, metrics, _baseline(period, start))
        run = _save(run, computed=True, metrics=metrics, breakdowns=breakdowns, anomalies=found, failed_metrics=failed)
    zone = get_settings().reporting_timezone
    end = date.fromisoformat(run.end)
    text = digest.headline(period, start, end, zone, run.metrics, run.anomalies, run.failed_metrics)
    replies = digest.breakdown_replies(period, run.breakdowns)
    try:
        if run.slack_ts is None:
            run = _save(run, slack_ts=slack.post(text))
        for index in range(run.replies_posted, len(replies)):
            slack.post(replies[index], thread_ts=run.slack_ts)
            run = _save(run, replies_posted=index + 1)
    except slack.SlackFailed as exc:
        _log.error("reporting digest not posted", extra={"run": run.id, "reason": str(exc)})
        return run_out(_save(run, status="failed", error=str(exc), lease_until=None))
    _log.info("reporting digest sent", extra={"run": run.id, "anomalies": len(run.anomalies)})
    return run_out(_save(run, status="sent", error=None, lease_until=None))


def run_scheduled(period: Period, scheduled_at: str | None) -> RunOut:
    """What a scheduled job runs: the previous whole period, as of the time the job was meant to fire."""
    today = local_day(_moment(scheduled_at), get_settings().reporting_timezone)
    return run_digest(period, last_whole_period(period, today))


def dashboard_figures_of(day: date, next_day: date) -> tuple[dict[str, int | None], dict[str, dict[str, int]]]:
    """The support and credentialing dashboards' figures of `day` (the export runs the next day, within 24 hours
    of the day's end: only `next_day`'s changes are taken off the running gauges). 24 document reads."""
    days = {day_doc_id(day, shard) for shard in range(SHARDS)}
    later = {day_doc_id(next_day, shard) for shard in range(SHARDS)}
    with ReportingWork() as uow:
        docs = uow.counters.get_many([*days, *later, *gauge_doc_ids()])
    try:
        return dashboard_figures(
            [doc for doc_id, doc in docs.items() if doc_id in days],
            [doc for doc_id, doc in docs.items() if doc_id in later],
            [doc for doc_id, doc in docs.items() if doc_id.startswith(GAUGE)],
        )
    except ValueError:
        _log.error("reporting dashboard figures unreadable")
        return dict.fromkeys(DASHBOARD_METRICS), {}


def run_daily(scheduled_at: str | None) -> RunOut:
    """The daily job: yesterday's digest, then its figures to Cloud Monitoring for the dashboards, once (a failure
    is logged, never stops the digest, and a re-fire of the job tries again while the day is recent enough)."""
    out = run_scheduled("daily", scheduled_at)
    run_doc_id = run_id("daily", out.start)
    with ReportingWork() as uow:
        run = uow.runs.get(run_doc_id)
    if run is None or not run.computed or run.exported:
        return out
    end = day_start(out.end, get_settings().reporting_timezone)
    try:
        retention = retention_figures(out.start)
        metrics, breakdowns = dashboard_figures_of(out.start, out.end)
        metrics = {**run.metrics, **metrics}
        written = export.export_day(end, metrics, {**run.breakdowns, **breakdowns}, retention, utcnow())
    except export.ExportFailed as exc:
        _log.error("reporting metrics not exported", extra={"run": run.id, "reason": str(exc)})
        return out
    if written:
        _save(run, exported=True)
    return out


def rerun(period: Period, start: date) -> RunOut:
    """`POST /api/reporting/run` (super admin): the run of a period that has ended."""
    if not is_period_start(period, start):
        raise NOT_A_PERIOD_START.error()
    today = local_day(utcnow(), get_settings().reporting_timezone)
    if period_end(period, start) > today:
        raise PERIOD_NOT_OVER.error()
    return run_digest(period, start)


def list_runs(period: Period | None, limit: int) -> list[RunOut]:
    with ReportingWork() as uow:
        return [run_out(run) for run in uow.runs.latest(period, limit)]


def run_out(run: RunRecord) -> RunOut:
    return RunOut(
        id=run.id,
        period=run.period,
        start=date.fromisoformat(run.start),
        end=date.fromisoformat(run.end),
        status=run.status,
        metrics=run.metrics,
        breakdowns=run.breakdowns,
        anomalies=run.anomalies,
        failed_metrics=run.failed_metrics,
        error=run.error,
        slack_ts=run.slack_ts,
        attempts=run.attempts,
        created_at=run.created_at,
        updated_at=run.updated_at,
    )
