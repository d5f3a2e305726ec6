"""The catalogue of Pub/Sub topics: each domain event and each scheduled job has one, declared once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel

from bloom.core.time import utcnow

PayloadT = TypeVar("PayloadT", bound=BaseModel)
_TOPICS: dict[str, Topic[BaseModel]] = {}


@dataclass(frozen=True)
class Topic(Generic[PayloadT]):
    """A Pub/Sub topic and the pydantic model of the messages published to it."""

    name: str
    payload: type[PayloadT]
    description: str = ""


def declare_topic(name: str, payload: type[PayloadT], description: str = "") -> Topic[PayloadT]:
    topic = Topic(name, payload, description)
    existing = _TOPICS.get(name)
    if existing is not None and existing.payload is not payload:
        raise ValueError(f"topic {name} declared twice with different payloads")
    _TOPICS[name] = topic  # type: ignore[assignment]
    return topic


def all_topics() -> dict[str, Topic[BaseModel]]:
    return dict(sorted(_TOPICS.items()))


class ScheduledRun(BaseModel):
    """The message Cloud Scheduler (or the local stack) publishes to fire a job."""

    job: str
    scheduled_at: str | None = None

    def moment(self) -> datetime:
        """The time the run was meant for when it names one with a zone (the local stack, tests), else now."""
        try:
            moment = datetime.fromisoformat(self.scheduled_at) if self.scheduled_at else None
        except ValueError:
            moment = None
        return moment if moment is not None and moment.tzinfo is not None else utcnow()
