"""Events the feedback area publishes."""

from __future__ import annotations

from pydantic import BaseModel

from bloom.platform.topics import declare_topic


class FeedbackSubmitted(BaseModel):
    """Session or resource feedback was given. Carries no free text: the description may hold personal data."""

    feedback_id: str
    kind: str  # "session" | "resource"
    item_id: str
    item_name: str
    tags: list[str]
    submitted_at: str | None = None  # absent in events recorded before reporting counted them


FEEDBACK_SUBMITTED = declare_topic("feedback.submitted", FeedbackSubmitted, "A user left feedback on content")


class EventLogRecorded(BaseModel):
    """The frontend logged an event (`POST event-logger`): the event's name, never its metadata."""

    user_id: str
    event: str
    occurred_at: str


EVENT_LOG_RECORDED = declare_topic("event_log.recorded", EventLogRecorded, "A user's event was logged")
