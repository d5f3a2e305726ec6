"""Events the content area publishes: one topic for every real transition of a user's progress."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from bloom.content.schemas import ContentKind, ResourceCategory
from bloom.platform.topics import declare_topic

Transition = Literal["started", "completed", "uncompleted"]


class ProgressChanged(BaseModel):
    """A user's progress on a course, session or resource changed state (a repeated action emits nothing).

    `item_id` is the story's Storyblok uuid; `course_id` (the course's uuid) is set for sessions and courses,
    `resource_category` for resources, so counters break progress down without reading anything.
    """

    user_id: str
    kind: ContentKind
    transition: Transition
    item_id: str
    course_id: str | None = None
    resource_category: ResourceCategory | None = None
    occurred_at: str


PROGRESS_CHANGED = declare_topic(
    "progress.changed", ProgressChanged, "A user started, completed or uncompleted a course, session or resource"
)
