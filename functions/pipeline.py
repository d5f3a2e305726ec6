"""The event pipeline's own functions: the outbox sweeper and the heartbeat subscriber."""

from __future__ import annotations

from bloom.health import service as health
from bloom.health.events import HEARTBEAT, Heartbeat
from bloom.platform.events import Event
from bloom.platform.registry import Capability, Sdk
from bloom.platform.subscriber import event_function, scheduled_function
from bloom.platform.topics import ScheduledRun


@scheduled_function(
    "* * * * *",
    summary="Publish outbox events a request left unpublished",
    sdks=(Sdk.PUBSUB,),
    uses=(Capability.OUTBOX_SWEEP,),
)
def sweep_outbox(_: Event[ScheduledRun]) -> None:
    health.sweep_outbox()


@event_function(HEARTBEAT, summary="Record that a heartbeat event arrived")
def record_heartbeat(event: Event[Heartbeat]) -> None:
    health.record_heartbeat(event.id, event.payload)
