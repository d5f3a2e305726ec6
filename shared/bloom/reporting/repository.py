"""Reporting's documents: counter shards, the events already counted, digest runs and the backfill's state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from bloom.platform.store.indexes import composite_index, ttl_field
from bloom.platform.store.repository import Filter, Repository
from bloom.platform.store.unit_of_work import UnitOfWork, repository
from bloom.reporting.models import CohortMember, CountedEvent, CounterDoc, RetentionMark, RunRecord

if TYPE_CHECKING:
    from google.cloud.firestore import DocumentSnapshot

COUNTED_EVENTS = "reportingEvents"
RUNS = "reportingRuns"
ttl_field(COUNTED_EVENTS, "expireAt")
RUNS_BY_PERIOD = composite_index(RUNS, ("period", "ASCENDING"), ("start", "DESCENDING"))


BREAKDOWN_PREFIX = "by_"


class CountersRepository(Repository[CounterDoc]):
    """Counter shards. Each breakdown map is a top-level field (`by_feedbackByTag`): the client's merge of a map
    of maps holding only increments replaces sibling maps, so no increment is ever nested two levels deep."""

    collection_name = "reportingCounters"
    model = CounterDoc

    def to_doc(self, item: CounterDoc) -> dict[str, Any]:
        doc: dict[str, Any] = {"kind": item.kind, "key": item.key, "counts": item.counts}
        doc.update({BREAKDOWN_PREFIX + name: values for name, values in item.breakdowns.items()})
        return doc

    def from_snapshot(self, snapshot: DocumentSnapshot[Any]) -> CounterDoc | None:
        if not snapshot.exists:
            return None
        data = snapshot.to_dict() or {}
        breakdowns = {k.removeprefix(BREAKDOWN_PREFIX): v for k, v in data.items() if k.startswith(BREAKDOWN_PREFIX)}
        return CounterDoc(
            kind=data.get("kind", ""), key=data.get("key", ""), counts=data.get("counts") or {}, breakdowns=breakdowns
        )

    def add(
        self, doc_id: str, kind: str, key: str, counts: dict[str, int], breakdowns: dict[str, dict[str, int]]
    ) -> None:
        """Add to a shard with increments (no read: concurrent events never contend on the counters)."""
        from google.cloud.firestore import Increment

        data: dict[str, Any] = {"kind": kind, "key": key}
        if any(counts.values()):
            data["counts"] = {name: Increment(n) for name, n in counts.items() if n}
        for name, values in breakdowns.items():
            if any(values.values()):
                data[BREAKDOWN_PREFIX + name] = {k: Increment(n) for k, n in values.items() if n}
        self.session.set(self.ref(doc_id), data, merge=True)


class CountedEventsRepository(Repository[CountedEvent]):
    collection_name = COUNTED_EVENTS
    model = CountedEvent


class RunsRepository(Repository[RunRecord]):
    collection_name = RUNS
    model = RunRecord

    def latest(self, period: str | None, limit: int) -> list[RunRecord]:
        filters = [Filter("period", "==", period)] if period is not None else []
        rows = self.select(filters, order_by=[("start", "DESCENDING")], limit=limit, index=RUNS_BY_PERIOD)
        return [run for _, run in rows]


class BackfillState(BaseModel):
    """`reportingBackfill/{from}`: which source the backfill reads and where it stopped (resumable)."""

    generation: int = 0  # a finished backfill run again starts a new generation of staged totals
    source_index: int = 0
    after: str | None = None
    staged: int = 0
    written_through: str | None = None  # the last day whose counters were replaced
    done: bool = False


class BackfillStateRepository(Repository[BackfillState]):
    collection_name = "reportingBackfill"
    model = BackfillState


class StagedDaysRepository(CountersRepository):
    """`reportingBackfillDays/{from}_{generation}_{day}`: the totals the backfill counted for a day so far."""

    collection_name = "reportingBackfillDays"


class CohortsRepository(CountersRepository):
    """`reportingCohorts/{signupWeek}_{shard}`: a weekly cohort's signups and users active again, as increments."""

    collection_name = "reportingCohorts"


class CohortMembersRepository(Repository[CohortMember]):
    collection_name = "reportingCohortMembers"
    model = CohortMember


class RetentionMarksRepository(Repository[RetentionMark]):
    collection_name = "reportingRetentionMarks"
    model = RetentionMark


class ReportingWork(UnitOfWork):
    counters = repository(CountersRepository)
    counted = repository(CountedEventsRepository)
    runs = repository(RunsRepository)
    backfill = repository(BackfillStateRepository)
    staged = repository(StagedDaysRepository)
    cohorts = repository(CohortsRepository)
    members = repository(CohortMembersRepository)
    marks = repository(RetentionMarksRepository)
