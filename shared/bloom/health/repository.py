"""Health probe reads and the heartbeat counters the event pipeline's subscriber writes."""

from __future__ import annotations

from bloom.core.models import CamelModel
from bloom.platform.store.client import count_round_trip, db
from bloom.platform.store.repository import Repository
from bloom.platform.store.unit_of_work import UnitOfWork, repository


class HeartbeatRecord(CamelModel):
    source: str
    count: int
    last_event_id: str


class HeartbeatsRepository(Repository[HeartbeatRecord]):
    collection_name = "heartbeats"
    model = HeartbeatRecord

    def increment(self, source: str, event_id: str) -> None:
        """Count one arrival (read then write: run it in a transaction)."""
        current = self.get(source)
        self.save(
            source, HeartbeatRecord(source=source, count=(current.count if current else 0) + 1, last_event_id=event_id)
        )


class HealthWork(UnitOfWork):
    heartbeats = repository(HeartbeatsRepository)


def probe_database() -> None:
    """One read round trip; raises if Firestore cannot be reached."""
    count_round_trip()
    db().collection("health").document("probe").get(timeout=5)
