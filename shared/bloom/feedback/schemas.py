"""What the feedback area shows callers: request bodies and responses for feedback and the event log."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, field_validator

from bloom.core.models import CamelModel, RequestModel
from bloom.core.validation import storable_problems

FeedbackTag = Literal["relatable", "useful", "inspiring", "too long", "too complicated", "not useful"]
EventName = Literal[
    "CHAT_MESSAGE_SENT", "CHAT_MESSAGE_RECEIVED", "LOGGED_IN", "LOGGED_OUT", "GROUNDING_EXERCISE_STARTED"
]
MAX_DESCRIPTION = 5000
MAX_METADATA_CHARS = 2000
METADATA_MAX_DEPTH = 10


def _as_list(value: Any) -> Any:
    """The frontend sends one tag as a string; a list of tags is accepted too."""
    return [value] if isinstance(value, str) else value


def _unique(tags: list[FeedbackTag]) -> list[FeedbackTag]:
    return list(dict.fromkeys(tags))


FeedbackTags = Annotated[
    list[FeedbackTag], BeforeValidator(_as_list), Field(min_length=1, max_length=6), AfterValidator(_unique)
]


class SessionFeedbackBody(RequestModel):
    session_id: str = Field(min_length=1, max_length=100)
    feedback_tags: FeedbackTags
    feedback_description: str = Field(default="", max_length=MAX_DESCRIPTION)


class ResourceFeedbackBody(RequestModel):
    resource_id: str = Field(min_length=1, max_length=100)
    feedback_tags: FeedbackTags
    feedback_description: str = Field(default="", max_length=MAX_DESCRIPTION)


class SessionFeedbackOut(CamelModel):
    id: str
    session_id: str
    feedback_tags: list[FeedbackTag]
    feedback_description: str
    created_at: datetime
    updated_at: datetime


class ResourceFeedbackOut(CamelModel):
    id: str
    resource_id: str
    feedback_tags: list[FeedbackTag]
    feedback_description: str
    created_at: datetime
    updated_at: datetime


class EventLogBody(RequestModel):
    event: EventName
    metadata: dict[str, Any] | None = None

    @field_validator("metadata")
    @classmethod
    def _storable(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        """Metadata is stored as it is: it must be small and something Firestore can store."""
        if value is None:
            return None
        problems = storable_problems(value, max_depth=METADATA_MAX_DEPTH)
        if problems:
            raise ValueError("; ".join(problems))
        if len(json.dumps(value, ensure_ascii=False)) > MAX_METADATA_CHARS:
            raise ValueError(f"must be at most {MAX_METADATA_CHARS} characters as JSON")
        return value


class EventLogOut(CamelModel):
    id: str
    created_at: datetime
    updated_at: datetime
    date: datetime
    event: EventName
    user_id: str
    metadata: dict[str, Any] | None
