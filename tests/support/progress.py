"""Published courses, sessions and resources for progress tests (the same upsert the Storyblok webhook runs)."""

from __future__ import annotations

from typing import Any

from bloom.content import service as content_sync
from bloom.content.models import StoryblokStory


def key(kind: str, number: int) -> str:
    prefix = {"course": "c0000000", "session": "5e000000", "resource": "4e000000"}[kind]
    return f"{prefix}-0000-4000-8000-{number:012d}"


def publish(story_id: int, uuid: str, component: str, name: str, **content: Any) -> None:
    """The same upsert the webhook runs after fetching a published story."""
    story = StoryblokStory(
        id=story_id,
        uuid=uuid,
        name=name,
        slug=name.lower().replace(" ", "-"),
        full_slug=f"courses/{name.lower().replace(' ', '-')}",
        content={"component": component, **content},
    )
    content_sync.apply_story(story)


def make_course(number: int, sessions: int = 2) -> list[str]:
    """A published course with published sessions; returns the session uuids."""
    publish(1000 + number, key("course", number), "Course", f"Course {number}")
    uuids = [key("session", number * 100 + i) for i in range(1, sessions + 1)]
    for i, uuid in enumerate(uuids, start=1):
        publish(2000 + number * 100 + i, uuid, "Session", f"Session {number}.{i}", course=key("course", number))
    return uuids
