"""Feedback on sessions and resources, and the event log.

Feedback text is free text from a survivor: it is stored sanitised (see `bloom.feedback.html`), linked to the
user so it is erased with them, and never put in logs or events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from bloom.core.models import CamelModel
from bloom.feedback.schemas import EventName, FeedbackTag

FeedbackKind = Literal["session", "resource"]


class FeedbackRecord(CamelModel):
    """Stored at `sessionFeedback/{id}` or `resourceFeedback/{id}`; `item_id` is the session's/resource's public id."""

    id: str
    kind: FeedbackKind
    user_id: str
    item_id: str
    item_uuid: str
    feedback_tags: list[FeedbackTag]
    feedback_description: str
    created_at: datetime
    updated_at: datetime


class EventLogRecord(CamelModel):
    """Stored at `eventLogs/{id}`."""

    id: str
    user_id: str
    event: EventName
    date: datetime
    metadata: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime
