"""Content: `GET courses-user` for a user who started 10 courses (the cost must not grow with the courses)."""

from __future__ import annotations

import os
import uuid

from infra.auth_emulator import AuthEmulator
from infra.bench_scenarios import Probe
from infra.stack_runner import RunningStack

COURSES = 10
SESSIONS_PER_COURSE = 3


def _uuid(kind: int, number: int) -> str:
    return f"be{kind:06d}-0000-4000-8000-{number:012d}"


def scenarios(stack: RunningStack) -> list[Probe]:
    # Data is prepared through the services, so this process talks to the stack's emulators.
    os.environ.update(stack.env)
    from bloom.core.settings import get_settings

    get_settings.cache_clear()
    from bloom.content import progress
    from bloom.content import service as content_sync
    from bloom.content.models import StoryblokStory
    from bloom.users.repository import UsersRepository
    from bloom.users.schemas import UserRecord

    account = AuthEmulator(stack.auth, stack.project).sign_up("bench-content@example.com")
    UsersRepository().save(account.uid, UserRecord(id=str(uuid.uuid4()), email=account.email))
    for course in range(1, COURSES + 1):
        course_uuid = _uuid(1, course)
        content_sync.apply_story(
            StoryblokStory(
                id=10_000 + course,
                uuid=course_uuid,
                name=f"Course {course}",
                slug=f"course-{course}",
                full_slug=f"courses/course-{course}",
                content={"component": "Course"},
            )
        )
        for session in range(1, SESSIONS_PER_COURSE + 1):
            number = course * 100 + session
            content_sync.apply_story(
                StoryblokStory(
                    id=20_000 + number,
                    uuid=_uuid(2, number),
                    name=f"Session {course}.{session}",
                    slug=f"session-{number}",
                    full_slug=f"courses/course-{course}/session-{number}",
                    content={"component": "Session", "course": course_uuid},
                )
            )
        user = UsersRepository().get(account.uid)
        assert user is not None
        progress.change_session(user, account.uid, _uuid(2, course * 100 + 1), "complete")
    return [Probe(f"GET /v1/courses-user ({COURSES} started courses)", "GET", "/v1/courses-user", account.headers)]
