"""A user's progress through courses, sessions and resources; the started content on the profile; erasure.

Records: one per user and item, with ids derived from the user's public id and the story uuid
(`courseUsers/{userId}_{courseUuid}`, `sessionUsers/{userId}_{sessionUuid}`, `resourceUsers/{userId}_{resourceUuid}`),
created in atomic writes that also add the item to `users/{authUid}.courseIds` / `.resourceIds`. A change reads the
user's records and writes them only if nobody wrote them meanwhile (optimistic: no locks, so one person's
concurrent requests never wait on each other's locks), else reads again.

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

Each course-user and resource-user record is also copied into the user's profile projection (`users/{authUid}
.profile`) in the write that changes it, and every course and resource into `catalogues/content`.

Costs: `GET courses-user` and the profile (`GET user/me`) read the catalogue with the user document and need
nothing more (`projected_content`): one round trip whatever the number of courses. `profile_refs` /
`profile_content` compute the same from the records themselves (one more batched read; rebuilds and checks).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from bloom.content import errors
from bloom.content.events import PROGRESS_CHANGED, ProgressChanged, Transition
from bloom.content.models import (
    ContentCatalogue,
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
from bloom.content.repository import CATALOGUE_ID, ContentWork
from bloom.content.schemas import ContentKind, CourseOut, ResourceCategory, ResourceOut
from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.platform.store.repository import Repository
from bloom.platform.store.unit_of_work import Fetched, UnitOfWork
from bloom.users import service as users
from bloom.users.schemas import UserRecord

Change = Literal["start", "complete", "incomplete"]
T = TypeVar("T", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)
# Only one user's own records contend (several tabs, a retrying client): each lost race re-reads and tries again
# after a jittered pause; sized by `test_one_persons_concurrent_writes_never_fail` (32 requests at once).
PROGRESS_ATTEMPTS = 40
_log = get_logger(__name__)


def _item_refs(
    items: Repository[Any], records: Repository[Any], user: UserRecord, uuids: list[str]
) -> list[tuple[Repository[Any], str]]:
    """Each started item (course or resource) and the user's record of it."""
    return [ref for uuid in dict.fromkeys(uuids) for ref in ((items, uuid), (records, progress_key(user.id, uuid)))]


def _course_refs(uow: ContentWork, user: UserRecord) -> list[tuple[Repository[Any], str]]:
    return _item_refs(uow.courses, uow.course_users, user, user.course_ids)


def _resource_refs(uow: ContentWork, user: UserRecord) -> list[tuple[Repository[Any], str]]:
    return _item_refs(uow.resources, uow.resource_users, user, user.resource_ids)


def profile_refs(uow: UnitOfWork, user: UserRecord) -> list[tuple[Repository[Any], str]]:
    """Everything the profile's courses and resources need, for the caller's single batched read."""
    work = ContentWork.join(uow)
    return _course_refs(work, user) + _resource_refs(work, user)


Lookup = Callable[[str], T | None]


def _courses(user: UserRecord, course_of: Lookup[CourseRecord], record_of: Lookup[CourseUserRecord]) -> list[CourseOut]:
    """The user's started courses, from a lookup of courses and one of the user's course records (by uuid)."""
    pairs: list[tuple[CourseRecord, CourseUserRecord]] = []
    for course_uuid in dict.fromkeys(user.course_ids):
        course, record = course_of(course_uuid), record_of(course_uuid)
        if course is not None and record is not None:
            pairs.append((course, record))
    progress = merge_progress(record for _, record in pairs)
    pairs.sort(key=lambda pair: pair[1].created_at)
    return [course_out(course, record, progress) for course, record in pairs]


def _resources(
    user: UserRecord, resource_of: Lookup[ResourceRecord], record_of: Lookup[ResourceUserRecord]
) -> list[ResourceOut]:
    pairs: list[tuple[ResourceRecord, ResourceUserRecord]] = []
    for resource_uuid in dict.fromkeys(user.resource_ids):
        resource, record = resource_of(resource_uuid), record_of(resource_uuid)
        if resource is not None and record is not None:
            pairs.append((resource, record))
    pairs.sort(key=lambda pair: pair[1].created_at)
    return [resource_out(resource, record) for resource, record in pairs]


def _courses_from(uow: ContentWork, user: UserRecord, fetched: Fetched) -> list[CourseOut]:
    return _courses(
        user,
        lambda key: fetched.get(uow.courses, key),
        lambda key: fetched.get(uow.course_users, progress_key(user.id, key)),
    )


def profile_content(uow: UnitOfWork, user: UserRecord, fetched: Fetched) -> tuple[list[CourseOut], list[ResourceOut]]:
    """The profile's `courses` and `resources` from the records themselves, as `profile_refs` fetched them."""
    work = ContentWork.join(uow)
    resources = _resources(
        user,
        lambda key: fetched.get(work.resources, key),
        lambda key: fetched.get(work.resource_users, progress_key(user.id, key)),
    )
    return _courses_from(work, user, fetched), resources


def expected_projection(
    uow: UnitOfWork, user: UserRecord, fetched: Fetched
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The copies of course and resource records the user's projection must hold, from what `profile_refs`
    fetched (keyed by story uuid)."""
    work = ContentWork.join(uow)
    courses = {
        key: work.course_users.to_doc(record)
        for key in dict.fromkeys(user.course_ids)
        if (record := fetched.get(work.course_users, progress_key(user.id, key))) is not None
    }
    resources = {
        key: work.resource_users.to_doc(found)
        for key in dict.fromkeys(user.resource_ids)
        if (found := fetched.get(work.resource_users, progress_key(user.id, key))) is not None
    }
    return courses, resources


def catalogue_refs(uow: UnitOfWork) -> list[tuple[Repository[Any], str]]:
    """The content catalogue, for reading with the caller's user document."""
    work = ContentWork.join(uow)
    return [(work.catalogue, CATALOGUE_ID)]


def projected_content(uow: UnitOfWork, user: UserRecord, fetched: Fetched) -> tuple[list[CourseOut], list[ResourceOut]]:
    """The profile's `courses` and `resources` from the user's projection and the catalogue (no further read)."""
    work = ContentWork.join(uow)
    catalogue = fetched.get(work.catalogue, CATALOGUE_ID) or ContentCatalogue()
    projection = user.profile
    courses = _courses(
        user,
        lambda key: _parsed(CourseRecord, catalogue.courses.get(key)),
        lambda key: _parsed(CourseUserRecord, projection.courses.get(key)),
    )
    resources = _resources(
        user,
        lambda key: _parsed(ResourceRecord, catalogue.resources.get(key)),
        lambda key: _parsed(ResourceUserRecord, projection.resources.get(key)),
    )
    return courses, resources


def _parsed(model: type[T], doc: dict[str, Any] | None) -> T | None:
    return model.model_validate(doc) if doc is not None else None


def courses_for_user(user: UserRecord, catalogues: Fetched | None) -> list[CourseOut]:
    """`GET courses-user`: from the projection and the content catalogue, which authentication read with the
    user (read here when not given)."""
    uow = ContentWork()
    if catalogues is None:
        catalogues = uow.fetch(catalogue_refs(uow))
    return projected_content(uow, user, catalogues)[0]


def _apply(
    change: Change, completed: bool, completed_at: datetime | None, now: datetime
) -> tuple[bool, datetime | None]:
    """The new (completed, completedAt): completing keeps the first completion time; starting changes nothing."""
    if change == "complete":
        return True, completed_at if completed else now
    if change == "incomplete":
        return False, None
    return completed, completed_at


def transitions(was_started: bool, was_completed: bool, completed: bool) -> list[Transition]:
    """The real transitions of one item: a first record is a start; completion flips either way."""
    found: list[Transition] = [] if was_started else ["started"]
    if completed != was_completed:
        found.append("completed" if completed else "uncompleted")
    return found


def _write(uow: ContentWork, repo: Repository[R], key: str, record: R, fetched: Fetched) -> None:
    """Create the record, or replace it if nobody wrote it since `fetched` read it (else the commit fails and
    the use case runs again)."""
    version = fetched.version(repo, key)
    if version is None:
        repo.save(key, record, new=True)
    else:
        uow.update_if_unchanged(repo.ref(key), repo.to_doc(record), version)


def _emit_progress(
    uow: UnitOfWork,
    user: UserRecord,
    kind: ContentKind,
    item_id: str,
    changes: list[Transition],
    when: datetime,
    *,
    course_id: str | None = None,
    resource_category: ResourceCategory | None = None,
) -> None:
    for transition in changes:
        changed = ProgressChanged(
            user_id=user.id,
            kind=kind,
            transition=transition,
            item_id=item_id,
            course_id=course_id,
            resource_category=resource_category,
            occurred_at=when.isoformat(),
        )
        uow.emit(PROGRESS_CHANGED, changed)


def change_session(
    user: UserRecord, auth_uid: str, session_uuid: str, change: Change, *, units: type[ContentWork] = ContentWork
) -> CourseOut:
    """Start, complete or mark incomplete a session (creating the records if needed); returns its course.

    Content (the session, its course) and the user's other course records (only merged for display and for a
    session moved between courses) are read first; then the user's session and course records are read and
    written optimistically (`run_optimistically`): written only if unchanged since read, else read again. Users
    never contend with each other, nor with the webhook; one user's concurrent requests (tabs, a retrying client)
    take turns without holding locks, and each real transition is recorded once.
    """
    with units() as reader:
        session = reader.sessions.get(session_uuid)
        if session is None:
            raise errors.SESSION_NOT_FOUND.error()
        course_uuid = session.course_uuid
        other_keys = [progress_key(user.id, key) for key in dict.fromkeys(user.course_ids) if key != course_uuid]
        wanted: list[tuple[Repository[Any], str]] = [(reader.courses, course_uuid)]
        wanted += [(reader.course_users, key) for key in other_keys]
        context = reader.fetch(wanted)
        course = context.get(reader.courses, course_uuid)
        if course is None:
            raise errors.COURSE_NOT_FOUND.error()
        other_courses = [record for key in other_keys if (record := context.get(reader.course_users, key))]
    session_key, course_key = progress_key(user.id, session_uuid), progress_key(user.id, course_uuid)

    def work(uow: ContentWork) -> CourseOut:
        fetched = uow.fetch([(uow.session_users, session_key), (uow.course_users, course_key)])
        old_session_user = fetched.get(uow.session_users, session_key)
        old_course_user = fetched.get(uow.course_users, course_key)
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
            _write(uow, uow.session_users, session_key, session_user, fetched)

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
            _write(uow, uow.course_users, course_key, course_user, fetched)
            users.project_in(uow, auth_uid, "courses", {course_uuid: uow.course_users.to_doc(course_user)})
        was_session = (old_session_user is not None, old_session_user is not None and old_session_user.completed)
        session_changes = transitions(*was_session, session_user.completed)
        _emit_progress(uow, user, "session", session_uuid, session_changes, now, course_id=course_uuid)
        was_course = (old_course_user is not None, old_course_user is not None and old_course_user.completed)
        course_changes = transitions(*was_course, course_user.completed)
        _emit_progress(uow, user, "course", course_uuid, course_changes, now, course_id=course_uuid)
        if course_uuid not in user.course_ids:
            users.add_course_in(uow, auth_uid, course_uuid)
        return course_out(course, course_user, progress)

    return units.run_optimistically(work, max_attempts=PROGRESS_ATTEMPTS)


def change_resource(
    user: UserRecord, auth_uid: str, resource_uuid: str, change: Change, *, units: type[ContentWork] = ContentWork
) -> ResourceOut:
    """Start, complete or mark incomplete a resource; one record per user and resource, created on first use
    (read and written optimistically, as `change_session`)."""
    with units() as reader:
        resource = reader.resources.get(resource_uuid)
    if resource is None:
        raise errors.RESOURCE_NOT_FOUND.error()
    key = progress_key(user.id, resource_uuid)

    def work(uow: ContentWork) -> ResourceOut:
        fetched = uow.fetch([(uow.resource_users, key)])
        old = fetched.get(uow.resource_users, key)
        now = utcnow()
        base = old or ResourceUserRecord(user_id=user.id, resource_uuid=resource_uuid, created_at=now, updated_at=now)
        completed, completed_at = _apply(change, base.completed, base.completed_at, now)
        record = base.model_copy(update={"completed": completed, "completed_at": completed_at})
        if old is None or record != old:
            if old is not None:
                record = record.model_copy(update={"updated_at": now})
            _write(uow, uow.resource_users, key, record, fetched)
            users.project_in(uow, auth_uid, "resources", {resource_uuid: uow.resource_users.to_doc(record)})
        changes = transitions(old is not None, old is not None and old.completed, record.completed)
        _emit_progress(uow, user, "resource", resource_uuid, changes, now, resource_category=resource.category)
        if resource_uuid not in user.resource_ids:
            users.add_resource_in(uow, auth_uid, resource_uuid)
        return resource_out(resource, record)

    return units.run_optimistically(work, max_attempts=PROGRESS_ATTEMPTS)


def progress_events_page(kind: ContentKind, after: str | None, limit: int) -> tuple[list[ProgressChanged], str | None]:
    """Starts and completions as recorded, rebuilt from one kind of progress record (reporting's backfill), a page
    at a time in document order; the second value is where the next page starts (None: done). A record holds its
    start (`createdAt`) and, while complete, its completion (`completedAt`)."""
    with ContentWork() as uow:
        rows: list[tuple[str, CourseUserRecord | SessionUserRecord | ResourceUserRecord]]
        if kind == "course":
            rows = list(uow.course_users.page(after, limit))
        elif kind == "session":
            rows = list(uow.session_users.page(after, limit))
        else:
            rows = list(uow.resource_users.page(after, limit))
        resources = uow.resources.get_many(r.resource_uuid for _, r in rows if isinstance(r, ResourceUserRecord))
    events: list[ProgressChanged] = []
    for _, record in rows:
        common: dict[str, Any] = {"user_id": record.user_id, "kind": kind}
        if isinstance(record, ResourceUserRecord):
            found = resources.get(record.resource_uuid)
            common |= {"item_id": record.resource_uuid, "resource_category": found.category if found else None}
        elif isinstance(record, SessionUserRecord):
            common |= {"item_id": record.session_uuid, "course_id": record.course_uuid}
        else:
            common |= {"item_id": record.course_uuid, "course_id": record.course_uuid}
        events.append(ProgressChanged(transition="started", occurred_at=record.created_at.isoformat(), **common))
        if record.completed and record.completed_at is not None:
            completed_at = record.completed_at.isoformat()
            events.append(ProgressChanged(transition="completed", occurred_at=completed_at, **common))
    return events, (rows[-1][0] if len(rows) == limit else None)


def erase_user_progress(user_id: str) -> int:
    """Delete every progress record of a user (by public id). Idempotent; returns how many were deleted."""
    with ContentWork() as uow:
        repositories = (uow.course_users, uow.session_users, uow.resource_users)
        deleted = sum(repo.delete_matching(user_id=user_id) for repo in repositories)
    _log.info("user progress erased", extra={"records": deleted})
    return deleted
