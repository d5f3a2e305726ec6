"""The event pipeline's own functions: the outbox sweeper and the heartbeat subscriber."""

from __future__ import annotations

from bloom.registry import Sdk
from bloom.services import health
from bloom.store import outbox
from bloom.toolkit.events import Event
from bloom.toolkit.subscriber import event_function, scheduled_function
from bloom.topics import HEARTBEAT, Heartbeat, ScheduledRun


@scheduled_function("* * * * *", summary="Publish outbox events a request left unpublished", sdks=(Sdk.PUBSUB,))
def sweep_outbox(_: Event[ScheduledRun]) -> None:
    outbox.sweep()


@event_function(HEARTBEAT, summary="Record that a heartbeat event arrived")
def record_heartbeat(event: Event[Heartbeat]) -> None:
    health.record_heartbeat(event.id, event.payload)
