"""Health checks and the event pipeline's own work: the heartbeat and the outbox sweep."""

from __future__ import annotations

from bloom.core.errors import ErrorCatalogue
from bloom.health.events import HEARTBEAT, Heartbeat
from bloom.health.repository import HealthWork, probe_database
from bloom.platform.store import outbox

ERRORS = ErrorCatalogue("health")
DATABASE_UNAVAILABLE = ERRORS.declare(503, "Database unavailable")


def check_database() -> None:
    try:
        probe_database()
    except Exception as exc:
        raise DATABASE_UNAVAILABLE.error() from exc


def send_heartbeat(source: str) -> str:
    """Emit a heartbeat event through the outbox; returns its event id."""
    with HealthWork() as uow:
        return uow.emit(HEARTBEAT, Heartbeat(source=source))


def record_heartbeat(event_id: str, heartbeat: Heartbeat) -> None:
    """Count a heartbeat's arrival: the count shows how many times the subscriber's effect ran."""
    HealthWork.run_in_transaction(lambda uow: uow.heartbeats.increment(heartbeat.source, event_id))


def heartbeat_count(source: str) -> int:
    with HealthWork() as uow:
        record = uow.heartbeats.get(source)
    return record.count if record else 0


def sweep_outbox() -> int:
    """Publish outbox events a request left unpublished; returns how many went out."""
    return outbox.sweep()
