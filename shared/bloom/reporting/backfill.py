"""Rebuild the counters from the stored records (`python -m infra.cli reporting backfill --from DATE`).

For the first deploy, and after a counting bug is fixed. The records are read back as the events they
recorded (each area rebuilds its own: `users.service.created_events_page`, …) and go through the same
counting rules as the live events, so a backfill produces what the events did. Two stages, both resumable
(the state is `reportingBackfill/{from}`; run the same command again after an interruption):

1. stage: page through every source in document order (PAGE records a transaction); each page's totals per
   day are added to `reportingBackfillDays/{from}_{day}` in the transaction that moves the source's cursor,
   so a page is staged exactly once;
2. write: for each day from `from` to today, in one transaction with that day's shards, the metrics the
   records can tell (REBUILT) are replaced by the staged totals (on shard 0; zero on the others), and the
   others (deletions, therapy, WhatsApp, SLA breaches: not read back from records) are kept; then each month's
   shards are recomputed from its days.

Records erased with their user (progress, feedback, event log) are gone, so a backfill counts what is still
stored: run it before a deletion-heavy period is reported, or accept that difference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from bloom.content import progress
from bloom.content.events import PROGRESS_CHANGED
from bloom.core.settings import get_settings
from bloom.core.time import utcnow
from bloom.feedback import service as feedback
from bloom.feedback.events import EVENT_LOG_RECORDED, FEEDBACK_SUBMITTED
from bloom.partners import access_changes
from bloom.partners.events import PARTNER_ACCESS_ACTIVATED, PARTNER_ACCESS_GRANTED, PartnerAccessGranted
from bloom.reporting.counting import tally_of
from bloom.reporting.models import (
    DAY,
    MONTH,
    SHARDS,
    CounterDoc,
    day_doc_id,
    days,
    local_day,
    month_doc_id,
)
from bloom.reporting.repository import BackfillState, ReportingWork
from bloom.reporting.schemas import BREAKDOWNS, METRICS
from bloom.users import service as users
from bloom.users.events import USER_CREATED

PAGE = 200  # records per transaction; a page touches at most PAGE + 1 staged days (< 500 writes)
NOT_REBUILT = {
    "deletedUsers",
    "activeUsers",
    "therapyBookingsBooked",
    "therapyBookingsCancelled",
    "therapySessionsCompleted",
    "whatsappSubscribed",
    "whatsappUnsubscribed",
    "supportSlaBreaches",
}
REBUILT_METRICS = tuple(metric for metric in METRICS if metric not in NOT_REBUILT)
REBUILT_BREAKDOWNS = tuple(name for name in BREAKDOWNS if not name.startswith(("therapy", "slaBreaches")))

Page = tuple[list[tuple[str, BaseModel]], str | None]


def _topic_of_access(event: BaseModel) -> str:
    return PARTNER_ACCESS_GRANTED.name if isinstance(event, PartnerAccessGranted) else PARTNER_ACCESS_ACTIVATED.name


def _accesses(after: str | None, limit: int) -> Page:
    events, next_after = access_changes.access_events_page(after, limit)
    return [(_topic_of_access(event), event) for event in events], next_after


def _tagged(topic: str, page: tuple[list[Any], str | None]) -> Page:
    events, after = page
    return [(topic, event) for event in events], after


SOURCES: tuple[tuple[str, Callable[[str | None, int], Page]], ...] = (
    ("users", lambda after, n: _tagged(USER_CREATED.name, users.created_events_page(after, n))),
    ("partner accesses", _accesses),
    (
        "course progress",
        lambda after, n: _tagged(PROGRESS_CHANGED.name, progress.progress_events_page("course", after, n)),
    ),
    (
        "session progress",
        lambda after, n: _tagged(PROGRESS_CHANGED.name, progress.progress_events_page("session", after, n)),
    ),
    (
        "resource progress",
        lambda after, n: _tagged(PROGRESS_CHANGED.name, progress.progress_events_page("resource", after, n)),
    ),
    (
        "session feedback",
        lambda after, n: _tagged(FEEDBACK_SUBMITTED.name, feedback.feedback_events_page("session", after, n)),
    ),
    (
        "resource feedback",
        lambda after, n: _tagged(FEEDBACK_SUBMITTED.name, feedback.feedback_events_page("resource", after, n)),
    ),
    ("event log", lambda after, n: _tagged(EVENT_LOG_RECORDED.name, feedback.event_log_events_page(after, n))),
)


@dataclass(frozen=True)
class Progress:
    stage: str  # "stage" | "write"
    label: str
    done: int
    total: int | None


Report = Callable[[Progress], None]


def _merge(into: CounterDoc, counts: dict[str, int], breakdowns: dict[str, dict[str, int]]) -> None:
    for name, n in counts.items():
        into.counts[name] = into.counts.get(name, 0) + n
    for name, values in breakdowns.items():
        target = into.breakdowns.setdefault(name, {})
        for key, n in values.items():
            target[key] = target.get(key, 0) + n


def _staged_id(start: date, generation: int, day: date) -> str:
    return f"{start.isoformat()}_{generation}_{day.isoformat()}"


def _stage_page(start: date, generation: int, index: int, after: str | None) -> tuple[int, str | None]:
    """Stage one page of source `index` (once: the cursor moves in the same transaction). Returns (records, next)."""
    events, next_after = SOURCES[index][1](after, PAGE)
    zone = get_settings().reporting_timezone
    per_day: dict[date, CounterDoc] = {}
    for topic, payload in events:
        tally = tally_of(topic, payload)
        if tally is None or tally.when is None:
            continue
        day = local_day(datetime.fromisoformat(tally.when), zone)
        if day >= start:
            _merge(per_day.setdefault(day, CounterDoc(key=day.isoformat())), tally.counts, tally.breakdowns)
    state_id = start.isoformat()

    def work(uow: ReportingWork) -> None:
        state = uow.backfill.get(state_id) or BackfillState()
        if (state.generation, state.source_index, state.after) != (generation, index, after):
            return  # another run of the command staged this page meanwhile
        for day, staged in per_day.items():
            uow.staged.add(_staged_id(start, generation, day), DAY, day.isoformat(), staged.counts, staged.breakdowns)
        cursor = {"after": next_after} if next_after is not None else {"source_index": index + 1, "after": None}
        uow.backfill.save(state_id, state.model_copy(update={"staged": state.staged + len(events), **cursor}))

    ReportingWork.run_in_transaction(work)
    return len(events), next_after


def _rewrite_day(start: date, generation: int, day: date) -> None:
    staged_id = _staged_id(start, generation, day)
    ids = [day_doc_id(day, shard) for shard in range(SHARDS)]

    def work(uow: ReportingWork) -> None:
        fetched = uow.fetch([(uow.counters, doc_id) for doc_id in ids] + [(uow.staged, staged_id)])
        staged = fetched.get(uow.staged, staged_id) or CounterDoc()
        for shard, doc_id in enumerate(ids):
            existing = fetched.get(uow.counters, doc_id)
            counts = {k: v for k, v in (existing.counts if existing else {}).items() if k not in REBUILT_METRICS}
            breakdowns = {
                k: v for k, v in (existing.breakdowns if existing else {}).items() if k not in REBUILT_BREAKDOWNS
            }
            if shard == 0:
                counts |= {k: v for k, v in staged.counts.items() if v}
                breakdowns |= {k: v for k, v in staged.breakdowns.items() if v}
            if existing is None and not counts and not breakdowns:
                continue
            uow.counters.save(doc_id, CounterDoc(kind=DAY, key=day.isoformat(), counts=counts, breakdowns=breakdowns))

    ReportingWork.run_in_transaction(work)


def _add_into(total: dict[str, Any], values: dict[str, Any]) -> None:
    for key, value in values.items():
        if isinstance(value, dict):
            _add_into(total.setdefault(key, {}), value)
        elif isinstance(value, int):
            total[key] = total.get(key, 0) + value


def _rewrite_month(month: date) -> None:
    """Each month shard becomes the sum of the same shard of the month's days."""
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    month_days = list(days(month, following))

    def work(uow: ReportingWork) -> None:
        wanted = [(uow.counters, day_doc_id(day, shard)) for day in month_days for shard in range(SHARDS)]
        fetched = uow.fetch(wanted)
        key = f"{month.year:04d}-{month.month:02d}"
        for shard in range(SHARDS):
            counts: dict[str, Any] = {}
            breakdowns: dict[str, Any] = {}
            for day in month_days:
                doc = fetched.get(uow.counters, day_doc_id(day, shard))
                if doc is not None:
                    _add_into(counts, doc.counts)
                    _add_into(breakdowns, doc.breakdowns)
            uow.counters.save(
                month_doc_id(month, shard), CounterDoc(kind=MONTH, key=key, counts=counts, breakdowns=breakdowns)
            )

    ReportingWork.run_in_transaction(work)


def backfill(start: date, report: Report = lambda _: None) -> BackfillState:
    """Run (or resume) the backfill from `start` to today in the reporting time zone."""
    state_id = start.isoformat()
    with ReportingWork() as uow:
        state = uow.backfill.get(state_id) or BackfillState()
        if state.done:  # a finished backfill of this date runs again from scratch (after a counting fix)
            state = BackfillState(generation=state.generation + 1)
            uow.backfill.save(state_id, state)
    generation = state.generation
    read_from: dict[int, int] = {}  # records read per source by this run of the command
    while state.source_index < len(SOURCES):
        index, after = state.source_index, state.after
        read, _ = _stage_page(start, generation, index, after)
        read_from[index] = read_from.get(index, 0) + read
        with ReportingWork() as uow:
            state = uow.backfill.get(state_id) or BackfillState()
        report(Progress("stage", SOURCES[index][0], read_from[index], None))
        if read == 0 and state.source_index == index and state.after == after:
            break  # nothing moved (cannot happen unless the store refuses writes): do not spin
    today = local_day(utcnow(), get_settings().reporting_timezone)
    all_days = list(days(start, today + timedelta(days=1)))
    first = date.fromisoformat(state.written_through) + timedelta(days=1) if state.written_through else start
    for number, day in enumerate(all_days, start=1):
        if day < first:
            continue
        _rewrite_day(start, generation, day)
        state = state.model_copy(update={"written_through": day.isoformat()})
        with ReportingWork() as uow:
            uow.backfill.save(state_id, state)
        report(Progress("write", "days", number, len(all_days)))
    months = sorted({day.replace(day=1) for day in all_days})
    for number, month in enumerate(months, start=1):
        _rewrite_month(month)
        report(Progress("write", "months", number, len(months)))
    state = state.model_copy(update={"done": True})
    with ReportingWork() as uow:
        uow.backfill.save(state_id, state)
    return state
