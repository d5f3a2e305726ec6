"""Events of the health area: the event pipeline's heartbeat."""

from __future__ import annotations

from pydantic import BaseModel

from bloom.platform.topics import declare_topic


class Heartbeat(BaseModel):
    """A liveness probe event; its subscriber records that it arrived."""

    source: str


HEARTBEAT = declare_topic("system.heartbeat", Heartbeat, "Liveness probe for the event pipeline")
