"""Demo content for a local stack: a course with two sessions and a resource.

It goes through the same upsert the Storyblok webhook runs after fetching a published story, so the data has
exactly the shape the webhook produces. Idempotent: fixed story ids and uuids, and a second run changes nothing.
"""

from __future__ import annotations

from bloom.content import service as content_sync
from bloom.content.models import StoryblokStory

DEMO_COURSE_UUID = "0b1d0000-0000-4000-8000-000000000001"
DEMO_SESSION_UUIDS = ("0b1d0000-0000-4000-8000-000000000011", "0b1d0000-0000-4000-8000-000000000012")
DEMO_RESOURCE_UUID = "0b1d0000-0000-4000-8000-000000000021"


def demo_stories() -> list[StoryblokStory]:
    """Courses first: a session can only be stored once its course is."""
    course = StoryblokStory(
        id=900001,
        uuid=DEMO_COURSE_UUID,
        name="Healing from trauma (demo)",
        slug="healing-from-trauma",
        full_slug="courses/healing-from-trauma",
        content={"component": "Course", "included_for_partners": ["Public"]},
    )
    sessions = [
        StoryblokStory(
            id=900011 + index,
            uuid=uuid,
            name=name,
            slug=slug,
            full_slug=f"courses/healing-from-trauma/{slug}",
            content={"component": "Session", "course": DEMO_COURSE_UUID},
        )
        for index, (uuid, name, slug) in enumerate(
            zip(
                DEMO_SESSION_UUIDS,
                ("What is trauma?", "Grounding yourself"),
                ("what-is-trauma", "grounding-yourself"),
                strict=True,
            )
        )
    ]
    resource = StoryblokStory(
        id=900021,
        uuid=DEMO_RESOURCE_UUID,
        name="A short breathing exercise (demo)",
        slug="breathing-exercise",
        full_slug="shorts/breathing-exercise",
        content={"component": "resource_short_video"},
    )
    return [course, *sessions, resource]


def seed_content() -> list[str]:
    """Load the demo content; one line per story saying what happened."""
    lines = []
    for story in demo_stories():
        result = content_sync.apply_story(story)
        outcome = "stored" if result.changed else "unchanged"
        lines.append(f"{result.kind} {story.full_slug} (storyblokUuid {story.uuid}): {outcome}")
    return lines
