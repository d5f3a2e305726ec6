"""Courses, sessions and resources (copies of Storyblok stories) and a user's progress through them.

Stored records are keyed by the Storyblok story **uuid** (the document id; what the frontend sends as
`storyblokUuid`); each also has a public `id` (UUID v4) and the numeric Storyblok story id. Progress records
are keyed by `{user public id}_{story uuid}`, so "one record per user and item" holds by construction.

A course document carries a summary of its sessions (id, uuid, name, slug, status) and a course-user record
carries the user's progress on each session of that course, so a course with its sessions and the user's
progress is two documents. The rules here need no I/O: which component is what, who may see a course, when a
course is complete, and how the API objects are assembled from the records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bloom.content.schemas import (
    STORY_KEY_PATTERN,
    ContentKind,
    CourseOut,
    ResourceCategory,
    ResourceOut,
    SessionOut,
    StoryStatus,
)
from bloom.core.models import CamelModel

COURSE_COMPONENT = "Course"
SESSION_COMPONENTS = frozenset({"Session", "session_iba"})
RESOURCE_CATEGORIES: dict[str, ResourceCategory] = {
    "resource_short_video": "short_video",
    "resource_single_video": "single_video",
    "resource_conversation": "conversation",
}
PUBLIC_PARTNER = "Public"


class StoryblokStory(BaseModel):
    """The fields we use of the Content Delivery API's story object (`GET /v2/cdn/stories/:id` → `{"story": ...}`)."""

    model_config = ConfigDict(extra="ignore")

    id: int
    uuid: str = Field(pattern=STORY_KEY_PATTERN)
    name: str = Field(max_length=1000)
    slug: str = Field(max_length=1000)
    full_slug: str = Field(max_length=1000)
    content: dict[str, Any]

    @property
    def component(self) -> str:
        value = self.content.get("component")
        return value if isinstance(value, str) else ""


def content_kind(component: str) -> ContentKind | None:
    if component == COURSE_COMPONENT:
        return "course"
    if component in SESSION_COMPONENTS:
        return "session"
    if component in RESOURCE_CATEGORIES:
        return "resource"
    return None


def resource_category(component: str) -> ResourceCategory | None:
    return RESOURCE_CATEGORIES.get(component)


def partners_from_content(value: Any) -> list[str]:
    """`included_for_partners` → the partner names that see a course; missing or empty means public only."""
    if isinstance(value, str):
        value = [value]
    names = (
        [item.strip() for item in value if isinstance(item, str) and item.strip()] if isinstance(value, list) else []
    )
    unique = list(dict.fromkeys(names))
    return unique or [PUBLIC_PARTNER]


class StoryCopy(CamelModel):
    """What every stored copy of a Storyblok story carries."""

    id: str
    storyblok_uuid: str
    storyblok_id: int | None = None
    name: str
    slug: str
    status: StoryStatus


class SessionSummary(StoryCopy):
    """A session as its course document lists it: enough for completion and for the API's session objects."""


class CourseRecord(StoryCopy):
    included_for_partners: list[str] = Field(default_factory=lambda: [PUBLIC_PARTNER])
    sessions: list[SessionSummary] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


class SessionRecord(StoryCopy):
    course_uuid: str
    course_id: str
    created_at: datetime
    updated_at: datetime

    def summary(self) -> SessionSummary:
        return SessionSummary.model_validate(self.model_dump(include=set(StoryCopy.model_fields)))


class ResourceRecord(StoryCopy):
    category: ResourceCategory | None = None
    created_at: datetime
    updated_at: datetime


class ContentCatalogue(CamelModel):
    """`catalogues/content`: every course (with its session list) and resource as stored, keyed by story uuid,
    rewritten entry by entry in the transactions that write them. Read with the caller's user document, it
    gives the profile its content; entries stay raw until a profile needs one (most users start few)."""

    courses: dict[str, dict[str, Any]] = Field(default_factory=dict)
    resources: dict[str, dict[str, Any]] = Field(default_factory=dict)


TIMESTAMPS = frozenset({"created_at", "updated_at"})


def same_content(old: BaseModel, new: BaseModel) -> bool:
    """Equal apart from timestamps: a replayed delivery compares equal and writes nothing."""
    return old.model_dump(exclude=set(TIMESTAMPS)) == new.model_dump(exclude=set(TIMESTAMPS))


def with_session(course: CourseRecord, summary: SessionSummary) -> CourseRecord:
    """The course with `summary` replacing the session of the same uuid, or appended."""
    sessions = list(course.sessions)
    for index, existing in enumerate(sessions):
        if existing.storyblok_uuid == summary.storyblok_uuid:
            sessions[index] = summary
            break
    else:
        sessions.append(summary)
    return course.model_copy(update={"sessions": sessions})


def without_session(course: CourseRecord, session_uuid: str) -> CourseRecord:
    return course.model_copy(update={"sessions": [s for s in course.sessions if s.storyblok_uuid != session_uuid]})


class SessionProgress(CamelModel):
    completed: bool = False
    completed_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class SessionUserRecord(CamelModel):
    """One per user and session (`sessionUsers/{userId}_{sessionUuid}`): the record of a session's progress."""

    user_id: str
    session_uuid: str
    course_uuid: str
    completed: bool = False
    completed_at: datetime | None = None
    created_at: datetime
    updated_at: datetime

    def progress(self) -> SessionProgress:
        return SessionProgress(
            completed=self.completed,
            completed_at=self.completed_at,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


class CourseUserRecord(CamelModel):
    """One per user and course (`courseUsers/{userId}_{courseUuid}`).

    `sessions` mirrors the user's session records of this course (written in the same transactions), so the
    course view needs no per-session reads. `completed`/`completed_at` are what the user's last action
    produced; the API always reports completion recomputed from the sessions published now.
    """

    user_id: str
    course_uuid: str
    completed: bool = False
    completed_at: datetime | None = None
    sessions: dict[str, SessionProgress] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime


class ResourceUserRecord(CamelModel):
    """One per user and resource (`resourceUsers/{userId}_{resourceUuid}`)."""

    user_id: str
    resource_uuid: str
    completed: bool = False
    completed_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


def progress_key(user_id: str, item_uuid: str) -> str:
    return f"{user_id}_{item_uuid}"


def merge_progress(records: Iterable[CourseUserRecord]) -> dict[str, SessionProgress]:
    """A user's progress per session across all their course records; the most recently updated entry wins.

    A session moved to another course keeps its progress: whichever course lists it now finds it here.
    """
    merged: dict[str, SessionProgress] = {}
    for record in records:
        for session_uuid, progress in record.sessions.items():
            current = merged.get(session_uuid)
            if current is None or progress.updated_at > current.updated_at:
                merged[session_uuid] = progress
    return merged


def course_completed(sessions: Sequence[SessionSummary], completed_uuids: Iterable[str]) -> bool:
    """Complete when the course has published sessions and every one of them is complete."""
    published = {s.storyblok_uuid for s in sessions if s.status == "published"}
    return bool(published) and published <= set(completed_uuids)


def completed_uuids(progress: Mapping[str, SessionProgress]) -> set[str]:
    return {uuid for uuid, entry in progress.items() if entry.completed}


def course_out(course: CourseRecord, record: CourseUserRecord, progress: Mapping[str, SessionProgress]) -> CourseOut:
    """A started course: its sessions the user started (in course order) and completion as of now."""
    sessions = [
        SessionOut(
            id=summary.id,
            created_at=entry.created_at,
            updated_at=entry.updated_at,
            name=summary.name,
            slug=summary.slug,
            storyblok_uuid=summary.storyblok_uuid,
            status=summary.status,
            completed=entry.completed,
        )
        for summary in course.sessions
        if (entry := progress.get(summary.storyblok_uuid)) is not None
    ]
    return CourseOut(
        id=course.id,
        created_at=record.created_at,
        updated_at=record.updated_at,
        name=course.name,
        slug=course.slug,
        status=course.status,
        storyblok_uuid=course.storyblok_uuid,
        completed=course_completed(course.sessions, completed_uuids(progress)),
        sessions=sessions,
    )


def resource_out(resource: ResourceRecord, record: ResourceUserRecord | None = None) -> ResourceOut:
    """A resource; with the user's record its timestamps and `completed` are the user's."""
    return ResourceOut(
        id=resource.id,
        created_at=record.created_at if record else resource.created_at,
        updated_at=record.updated_at if record else resource.updated_at,
        name=resource.name,
        slug=resource.slug,
        status=resource.status,
        category=resource.category,
        storyblok_uuid=resource.storyblok_uuid,
        completed=record.completed if record else False,
    )
