"""What the content area shows callers and other areas: request bodies, courses and resources with progress."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, NamedTuple

from pydantic import Field, StrictInt

from bloom.core.models import CamelModel, RequestModel

StoryStatus = Literal["published", "unpublished", "deleted"]
ContentKind = Literal["course", "session", "resource"]
ResourceCategory = Literal["short_video", "single_video", "conversation"]
WebhookAction = Literal["published", "unpublished", "deleted", "moved"]


# A Storyblok uuid (or any key we accept from a client as a document id): no `/`, no `__x__`, bounded.
STORY_KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9\-]{0,99}$"


STORY_ID_MAX = 2**63 - 1


class StoryblokWebhook(RequestModel):
    """What Storyblok posts for a story event (snake_case on the wire; camelCase also accepted)."""

    action: WebhookAction
    story_id: StrictInt = Field(gt=0, le=STORY_ID_MAX)  # Storyblok ids are 64-bit; Firestore stores no more
    full_slug: str | None = Field(default=None, max_length=1000)
    text: str | None = Field(default=None, max_length=5000)
    space_id: StrictInt | None = Field(default=None, le=STORY_ID_MAX)


class StoryblokSyncResult(CamelModel):
    """What the webhook did with a delivery: `changed` is false for a replay or an ignored story."""

    action: WebhookAction
    story_id: int
    kind: ContentKind | None
    storyblok_uuid: str | None
    status: StoryStatus | None
    changed: bool


class SessionOut(CamelModel):
    id: str
    created_at: datetime
    updated_at: datetime
    name: str
    slug: str
    storyblok_uuid: str
    status: StoryStatus
    completed: bool


class CourseOut(CamelModel):
    id: str
    created_at: datetime
    updated_at: datetime
    name: str
    slug: str
    status: StoryStatus
    storyblok_uuid: str
    completed: bool
    sessions: list[SessionOut]


class ResourceOut(CamelModel):
    id: str
    created_at: datetime
    updated_at: datetime
    name: str
    slug: str
    status: StoryStatus
    category: ResourceCategory | None
    storyblok_uuid: str
    completed: bool


class StoryblokUuidBody(RequestModel):
    storyblok_uuid: str = Field(min_length=1, max_length=100, pattern=STORY_KEY_PATTERN)


class CreateResource(RequestModel):
    name: str = Field(min_length=1, max_length=255)
    slug: str = Field(min_length=1, max_length=255)
    status: StoryStatus = "published"
    category: ResourceCategory | None = None
    storyblok_uuid: str = Field(min_length=1, max_length=100, pattern=STORY_KEY_PATTERN)
    storyblok_id: StrictInt | None = Field(default=None, gt=0, le=STORY_ID_MAX)


class ContentItem(NamedTuple):
    """What other areas (feedback) learn about a session or resource."""

    id: str
    storyblok_uuid: str
    name: str
