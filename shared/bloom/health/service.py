"""Health checks and the event pipeline's heartbeat."""

from __future__ import annotations

from bloom.core.errors import BloomError
from bloom.health.events import HEARTBEAT, Heartbeat
from bloom.health.repository import HeartbeatsRepository, probe_database
from bloom.platform.store.unit_of_work import run_in_transaction


class DatabaseUnavailable(BloomError):
    status_code = 503


def check_database() -> None:
    try:
        probe_database()
    except Exception as exc:
        raise DatabaseUnavailable("Database unavailable") from exc


def send_heartbeat(source: str) -> str:
    """Emit a heartbeat event through the outbox; returns its event id."""
    return run_in_transaction(lambda unit: unit.emit(HEARTBEAT, Heartbeat(source=source)))


def record_heartbeat(event_id: str, heartbeat: Heartbeat) -> None:
    """Count a heartbeat's arrival: the count shows how many times the subscriber's effect ran."""
    repository = HeartbeatsRepository()
    run_in_transaction(lambda unit: repository.increment(unit, heartbeat.source, event_id))


def heartbeat_count(source: str) -> int:
    record = HeartbeatsRepository().get(source)
    return record.count if record else 0
