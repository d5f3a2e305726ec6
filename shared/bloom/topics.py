"""The catalogue of Pub/Sub topics: each domain event and each scheduled job has one, declared once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel

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


class Heartbeat(BaseModel):
    """A liveness probe event; its subscriber records that it arrived."""

    source: str


HEARTBEAT = declare_topic("system.heartbeat", Heartbeat, "Liveness probe for the event pipeline")


class UserDeleted(BaseModel):
    """A user was erased; subscribers remove what they hold about them (CRM, Slack notice with the id only)."""

    user_id: str
    deleted_at: str


USER_DELETED = declare_topic("user.deleted", UserDeleted, "A user and everything keyed to them was erased")


class FeedbackSubmitted(BaseModel):
    """Session or resource feedback was given. Carries no free text: the description may hold personal data."""

    feedback_id: str
    kind: str  # "session" | "resource"
    item_id: str
    item_name: str
    tags: list[str]


FEEDBACK_SUBMITTED = declare_topic("feedback.submitted", FeedbackSubmitted, "A user left feedback on content")
