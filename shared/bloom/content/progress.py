"""A user's progress through courses, sessions and resources; the started content on the profile; erasure.

Records: one per user and item, with ids derived from the user's public id and the story uuid
(`courseUsers/{userId}_{courseUuid}`, `sessionUsers/{userId}_{sessionUuid}`, `resourceUsers/{userId}_{resourceUuid}`),
created in transactions that also add the item to `users/{authUid}.courseIds` / `.resourceIds`.

Completion is computed at read time, not maintained by fan-out. A course is complete when it has published
sessions and every one of them is complete for the user; the course document lists its sessions with their
status (the webhook keeps that list current) and the course-user record mirrors the user's session progress,
so any read of a course view recomputes completion from what is published *now*. Consequences:
- unpublishing, deleting or publishing a session changes completion for every user who started the course,
  while the webhook writes only the session and its course (bounded, whatever the number of users);
- `courseUsers.completed`/`completedAt` keep what the user's own last action produced (a history for reports);
  the API never reports them without recomputing.
A session moved to another course keeps its progress: progress is merged across all the user's course
records (the most recent entry per session wins) and each course takes the entries of the sessions it lists.

Costs: `GET courses-user` is the user document (read by authentication) plus ONE batched read of the started
courses and their course-user records — two round trips whatever the number of courses. The profile
(`GET user/me`) gets the same documents through `profile_refs` / `profile_content`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from bloom.content.models import (
    CourseRecord,
    CourseUserRecord,
    ResourceRecord,
    ResourceUserRecord,
    SessionUserRecord,
    completed_uuids,
    course_completed,
    course_out,
    merge_progress,
    progress_key,
    resource_out,
)
from bloom.content.repository import (
    CoursesRepository,
    CourseUsersRepository,
    ResourcesRepository,
    ResourceUsersRepository,
    SessionsRepository,
    SessionUsersRepository,
    delete_where_user,
    link_course,
    link_resource,
    write,
)
from bloom.content.schemas import CourseOut, ResourceOut
from bloom.core.errors import NotFound
from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.platform.store.batch import fetch_many
from bloom.platform.store.repository import Repository
from bloom.platform.store.unit_of_work import UnitOfWork, run_in_transaction
from bloom.users.schemas import UserRecord

SESSION_NOT_FOUND = "SESSION NOT FOUND"
RESOURCE_NOT_FOUND = "RESOURCE NOT FOUND"
COURSE_NOT_FOUND = "COURSE NOT FOUND"
Change = Literal["start", "complete", "incomplete"]


# Only one user's own records contend (several tabs, repeated clicks); a retry keeps its place in line.
PROGRESS_ATTEMPTS = 10
_log = get_logger(__name__)
_courses = CoursesRepository()
_sessions = SessionsRepository()
_resources = ResourcesRepository()
_course_users = CourseUsersRepository()
_session_users = SessionUsersRepository()
_resource_users = ResourceUsersRepository()


def _course_refs(user: UserRecord) -> list[tuple[Repository[Any], str]]:
    refs: list[tuple[Repository[Any], str]] = []
    for course_uuid in dict.fromkeys(user.course_ids):
        refs.append((_courses, course_uuid))
        refs.append((_course_users, progress_key(user.id, course_uuid)))
    return refs


def _resource_refs(user: UserRecord) -> list[tuple[Repository[Any], str]]:
    refs: list[tuple[Repository[Any], str]] = []
    for resource_uuid in dict.fromkeys(user.resource_ids):
        refs.append((_resources, resource_uuid))
        refs.append((_resource_users, progress_key(user.id, resource_uuid)))
    return refs


def profile_refs(user: UserRecord) -> list[tuple[Repository[Any], str]]:
    """Everything the profile's courses and resources need, for the caller's single `fetch_many`."""
    return _course_refs(user) + _resource_refs(user)


def _courses_from(user: UserRecord, fetched: dict[tuple[str, str], BaseModel]) -> list[CourseOut]:
    pairs: list[tuple[CourseRecord, CourseUserRecord]] = []
    for course_uuid in dict.fromkeys(user.course_ids):
        course = fetched.get((_courses.collection_name, course_uuid))
        record = fetched.get((_course_users.collection_name, progress_key(user.id, course_uuid)))
        if isinstance(course, CourseRecord) and isinstance(record, CourseUserRecord):
            pairs.append((course, record))
    progress = merge_progress(record for _, record in pairs)
    pairs.sort(key=lambda pair: pair[1].created_at)
    return [course_out(course, record, progress) for course, record in pairs]


def _resources_from(user: UserRecord, fetched: dict[tuple[str, str], BaseModel]) -> list[ResourceOut]:
    pairs: list[tuple[ResourceRecord, ResourceUserRecord]] = []
    for resource_uuid in dict.fromkeys(user.resource_ids):
        resource = fetched.get((_resources.collection_name, resource_uuid))
        record = fetched.get((_resource_users.collection_name, progress_key(user.id, resource_uuid)))
        if isinstance(resource, ResourceRecord) and isinstance(record, ResourceUserRecord):
            pairs.append((resource, record))
    pairs.sort(key=lambda pair: pair[1].created_at)
    return [resource_out(resource, record) for resource, record in pairs]


def profile_content(
    user: UserRecord, fetched: dict[tuple[str, str], BaseModel]
) -> tuple[list[CourseOut], list[ResourceOut]]:
    """The profile's `courses` and `resources`, from what `profile_refs` fetched."""
    return _courses_from(user, fetched), _resources_from(user, fetched)


def courses_for_user(user: UserRecord) -> list[CourseOut]:
    """`GET courses-user`: one batched read, whatever the number of courses."""
    return _courses_from(user, fetch_many(_course_refs(user)))


def _apply(
    change: Change, completed: bool, completed_at: datetime | None, now: datetime
) -> tuple[bool, datetime | None]:
    """The new (completed, completedAt): completing keeps the first completion time; starting changes nothing."""
    if change == "complete":
        return True, completed_at if completed else now
    if change == "incomplete":
        return False, None
    return completed, completed_at


def change_session(user: UserRecord, auth_uid: str, session_uuid: str, change: Change) -> CourseOut:
    """Start, complete or mark incomplete a session (creating the records if needed); returns its course.

    Content (the session, its course) and the user's other course records (only merged for display and for a
    session moved between courses) are read before the transaction, so the transaction locks nothing but this
    user's session and course records: users never contend with each other, nor with the webhook.
    """
    session = _sessions.get(session_uuid)
    if session is None:
        raise NotFound(SESSION_NOT_FOUND)
    course_uuid = session.course_uuid
    wanted: list[tuple[Repository[Any], str]] = [(_courses, course_uuid)]
    wanted += [
        (_course_users, progress_key(user.id, key)) for key in dict.fromkeys(user.course_ids) if key != course_uuid
    ]
    context = fetch_many(wanted)
    course = context.get((_courses.collection_name, course_uuid))
    if not isinstance(course, CourseRecord):
        raise NotFound(COURSE_NOT_FOUND)
    other_courses = [record for record in context.values() if isinstance(record, CourseUserRecord)]
    session_key, course_key = progress_key(user.id, session_uuid), progress_key(user.id, course_uuid)

    def work(unit: UnitOfWork) -> CourseOut:
        fetched = fetch_many([(_session_users, session_key), (_course_users, course_key)], transaction=unit.transaction)
        found_session_user = fetched.get((_session_users.collection_name, session_key))
        found_course_user = fetched.get((_course_users.collection_name, course_key))
        old_session_user = found_session_user if isinstance(found_session_user, SessionUserRecord) else None
        old_course_user = found_course_user if isinstance(found_course_user, CourseUserRecord) else None
        now = utcnow()

        base = old_session_user or SessionUserRecord(
            user_id=user.id, session_uuid=session_uuid, course_uuid=course_uuid, created_at=now, updated_at=now
        )
        completed, completed_at = _apply(change, base.completed, base.completed_at, now)
        session_user = base.model_copy(
            update={"completed": completed, "completed_at": completed_at, "course_uuid": course_uuid}
        )
        if old_session_user is None or session_user != old_session_user:
            if old_session_user is not None:
                session_user = session_user.model_copy(update={"updated_at": now})
            write(unit, _session_users, session_key, session_user, new=old_session_user is None)

        course_user = old_course_user or CourseUserRecord(
            user_id=user.id, course_uuid=course_uuid, created_at=now, updated_at=now
        )
        course_user = course_user.model_copy(
            update={"sessions": {**course_user.sessions, session_uuid: session_user.progress()}}
        )
        progress = merge_progress([*other_courses, course_user])
        done = course_completed(course.sessions, completed_uuids(progress))
        course_user = course_user.model_copy(
            update={"completed": done, "completed_at": (course_user.completed_at or now) if done else None}
        )
        if old_course_user is None or course_user != old_course_user:
            if old_course_user is not None:
                course_user = course_user.model_copy(update={"updated_at": now})
            write(unit, _course_users, course_key, course_user, new=old_course_user is None)
        if course_uuid not in user.course_ids:
            link_course(unit, auth_uid, course_uuid)
        return course_out(course, course_user, progress)

    return run_in_transaction(work, max_attempts=PROGRESS_ATTEMPTS)


def change_resource(user: UserRecord, auth_uid: str, resource_uuid: str, change: Change) -> ResourceOut:
    """Start, complete or mark incomplete a resource; one record per user and resource, created on first use."""
    resource = _resources.get(resource_uuid)
    if resource is None:
        raise NotFound(RESOURCE_NOT_FOUND)
    key = progress_key(user.id, resource_uuid)

    def work(unit: UnitOfWork) -> ResourceOut:
        old = _resource_users.get(key, transaction=unit.transaction)
        now = utcnow()
        base = old or ResourceUserRecord(user_id=user.id, resource_uuid=resource_uuid, created_at=now, updated_at=now)
        completed, completed_at = _apply(change, base.completed, base.completed_at, now)
        record = base.model_copy(update={"completed": completed, "completed_at": completed_at})
        if old is None or record != old:
            if old is not None:
                record = record.model_copy(update={"updated_at": now})
            write(unit, _resource_users, key, record, new=old is None)
        if resource_uuid not in user.resource_ids:
            link_resource(unit, auth_uid, resource_uuid)
        return resource_out(resource, record)

    return run_in_transaction(work, max_attempts=PROGRESS_ATTEMPTS)


def erase_user_progress(user_id: str) -> int:
    """Delete every progress record of a user (by public id). Idempotent; returns how many were deleted."""
    deleted = sum(delete_where_user(repo, user_id) for repo in (_course_users, _session_users, _resource_users))
    _log.info("user progress erased", extra={"records": deleted})
    return deleted
