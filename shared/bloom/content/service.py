"""Courses, sessions and resources kept in step with Storyblok, and the resource endpoints.

The webhook checks the signature on the raw body before it reads anything. Published and moved stories are
fetched from the Content Delivery API and upserted by story uuid (the document id, so two deliveries racing
cannot create two copies); unpublished and deleted stories are not fetched (the published CDN 404s for them):
the copy is found by its numeric story id and only its status changes.

Every upsert compares the new copy with the stored one and writes nothing when only timestamps would change,
so a replayed delivery is harmless and leaves `updatedAt` alone. A session is listed (id, uuid, name, slug,
status) on its course's document, updated in the same transaction as the session, including a move from one
course to another.

Course completion needs no work here: it is computed when progress is read, from the sessions published at
that moment (see `bloom.content.progress`), so a session's status change reaches every user who started
the course without the webhook touching any user's records — its cost does not grow with the number of users.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from bloom.content import storyblok
from bloom.content.models import (
    CourseRecord,
    ResourceRecord,
    SessionRecord,
    StoryblokStory,
    content_kind,
    partners_from_content,
    resource_category,
    resource_out,
    same_content,
    with_session,
    without_session,
)
from bloom.content.repository import (
    CoursesRepository,
    ResourcesRepository,
    SessionsRepository,
    find_by_public_id,
    find_by_story_id,
    write,
)
from bloom.content.schemas import (
    STORY_KEY_PATTERN,
    ContentKind,
    CreateResource,
    ResourceOut,
    StoryblokSyncResult,
    StoryblokWebhook,
    StoryStatus,
    WebhookAction,
)
from bloom.core.errors import BadRequest, Conflict, NotFound
from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.platform.store.unit_of_work import UnitOfWork, run_in_transaction

COURSE_NOT_FOUND = "COURSE NOT FOUND"
SESSION_WITHOUT_COURSE = "SESSION HAS NO COURSE"
STORY_NOT_FOUND = "STORY NOT FOUND"
RESOURCE_NOT_FOUND = "RESOURCE NOT FOUND"
RESOURCE_EXISTS = "RESOURCE ALREADY EXISTS"
_log = get_logger(__name__)
_courses = CoursesRepository()
_sessions = SessionsRepository()
_resources = ResourcesRepository()


def handle_webhook(delivery: StoryblokWebhook) -> StoryblokSyncResult:
    """Apply one verified Storyblok story delivery."""
    if delivery.action in ("unpublished", "deleted"):
        status: StoryStatus = "unpublished" if delivery.action == "unpublished" else "deleted"
        return set_status(delivery.story_id, status, delivery.action)
    raw_story = storyblok.fetch_story(delivery.story_id)
    if raw_story is None:
        if delivery.action == "moved":
            _log.info("moved story is not published; nothing to copy", extra={"story_id": delivery.story_id})
            return _result(delivery.action, delivery.story_id, None, None, None, changed=False)
        raise NotFound(STORY_NOT_FOUND)
    try:
        story = StoryblokStory.model_validate(raw_story)
    except ValidationError as exc:
        raise storyblok.StoryblokUnavailable("STORYBLOK_UNAVAILABLE: unexpected story shape") from exc
    return apply_story(story, delivery.action)


def _result(
    action: WebhookAction,
    story_id: int,
    kind: ContentKind | None,
    story_uuid: str | None,
    status: StoryStatus | None,
    *,
    changed: bool,
) -> StoryblokSyncResult:
    return StoryblokSyncResult(
        action=action, story_id=story_id, kind=kind, storyblok_uuid=story_uuid, status=status, changed=changed
    )


def apply_story(story: StoryblokStory, action: WebhookAction = "published") -> StoryblokSyncResult:
    """Upsert the published copy of a story according to its component; other components are ignored."""
    kind = content_kind(story.component)
    if kind == "course":
        changed = run_in_transaction(lambda unit: _upsert_course(unit, story))
    elif kind == "session":
        changed = run_in_transaction(lambda unit: _upsert_session(unit, story))
    elif kind == "resource":
        changed = run_in_transaction(lambda unit: _upsert_resource(unit, story))
    else:
        _log.info("story component not synced", extra={"story_id": story.id, "component": story.component[:60]})
        return _result(action, story.id, None, story.uuid, None, changed=False)
    _log.info("story synced", extra={"story_id": story.id, "kind": kind, "changed": changed})
    return _result(action, story.id, kind, story.uuid, "published", changed=changed)


def _published_copy(
    story: StoryblokStory, existing: CourseRecord | SessionRecord | ResourceRecord | None, now: datetime
) -> dict[str, Any]:
    """The fields every copy of a published story gets; a known copy keeps its public id and creation time."""
    return {
        "id": existing.id if existing else str(uuid.uuid4()),
        "storyblok_uuid": story.uuid,
        "storyblok_id": story.id,
        "name": story.name,
        "slug": story.full_slug,
        "status": "published",
        "created_at": existing.created_at if existing else now,
        "updated_at": now,
    }


def _upsert_course(unit: UnitOfWork, story: StoryblokStory) -> bool:
    existing = _courses.get(story.uuid, transaction=unit.transaction)
    now = utcnow()
    course = CourseRecord(
        **_published_copy(story, existing, now),
        included_for_partners=partners_from_content(story.content.get("included_for_partners")),
        sessions=existing.sessions if existing else [],
    )
    if existing is not None and same_content(existing, course):
        return False
    write(unit, _courses, story.uuid, course, new=existing is None)
    return True


def _upsert_session(unit: UnitOfWork, story: StoryblokStory) -> bool:
    course_uuid = story.content.get("course")
    if not isinstance(course_uuid, str) or not re.match(STORY_KEY_PATTERN, course_uuid):
        raise BadRequest(SESSION_WITHOUT_COURSE)
    # Every read before any write (Firestore transactions).
    existing = _sessions.get(story.uuid, transaction=unit.transaction)
    course = _courses.get(course_uuid, transaction=unit.transaction)
    if course is None:
        raise NotFound(COURSE_NOT_FOUND)
    previous_course = None
    if existing is not None and existing.course_uuid != course_uuid:
        previous_course = _courses.get(existing.course_uuid, transaction=unit.transaction)
    now = utcnow()
    session = SessionRecord(**_published_copy(story, existing, now), course_uuid=course_uuid, course_id=course.id)
    changed = False
    if existing is None or not same_content(existing, session):
        write(unit, _sessions, story.uuid, session, new=existing is None)
        changed = True
    listed = with_session(course, session.summary())
    if not same_content(course, listed):
        write(unit, _courses, course_uuid, listed.model_copy(update={"updated_at": now}), new=False)
        changed = True
    if previous_course is not None:
        unlisted = without_session(previous_course, story.uuid)
        if not same_content(previous_course, unlisted):
            write(
                unit,
                _courses,
                previous_course.storyblok_uuid,
                unlisted.model_copy(update={"updated_at": now}),
                new=False,
            )
            changed = True
    return changed


def _upsert_resource(unit: UnitOfWork, story: StoryblokStory) -> bool:
    existing = _resources.get(story.uuid, transaction=unit.transaction)
    now = utcnow()
    resource = ResourceRecord(**_published_copy(story, existing, now), category=resource_category(story.component))
    if existing is not None and same_content(existing, resource):
        return False
    write(unit, _resources, story.uuid, resource, new=existing is None)
    return True


def set_status(story_id: int, status: StoryStatus, action: WebhookAction) -> StoryblokSyncResult:
    """Unpublish or delete our copy of a story, found by its numeric id; unknown stories are ignored."""
    found = _find_story(story_id)
    if found is None:
        _log.info("status change for a story we do not hold", extra={"story_id": story_id})
        return _result(action, story_id, None, None, None, changed=False)
    kind, key = found
    changed = run_in_transaction(lambda unit: _set_status(unit, kind, key, status))
    _log.info("story status synced", extra={"story_id": story_id, "kind": kind, "changed": changed})
    return _result(action, story_id, kind, key, status, changed=changed)


def _find_story(story_id: int) -> tuple[ContentKind, str] | None:
    """Which of our collections holds the story with this numeric id, and its key (the story uuid)."""
    if (course := find_by_story_id(_courses, story_id)) is not None:
        return "course", course[0]
    if (session := find_by_story_id(_sessions, story_id)) is not None:
        return "session", session[0]
    if (resource := find_by_story_id(_resources, story_id)) is not None:
        return "resource", resource[0]
    return None


def _set_status(unit: UnitOfWork, kind: ContentKind, key: str, status: StoryStatus) -> bool:
    now = utcnow()
    if kind == "course":
        course = _courses.get(key, transaction=unit.transaction)
        if course is None or course.status == status:
            return False
        write(unit, _courses, key, course.model_copy(update={"status": status, "updated_at": now}), new=False)
        return True
    if kind == "resource":
        resource = _resources.get(key, transaction=unit.transaction)
        if resource is None or resource.status == status:
            return False
        write(unit, _resources, key, resource.model_copy(update={"status": status, "updated_at": now}), new=False)
        return True
    session = _sessions.get(key, transaction=unit.transaction)
    if session is None:
        return False
    course = _courses.get(session.course_uuid, transaction=unit.transaction)
    changed = False
    if session.status != status:
        session = session.model_copy(update={"status": status, "updated_at": now})
        write(unit, _sessions, key, session, new=False)
        changed = True
    if course is not None:
        listed = with_session(course, session.summary())
        if not same_content(course, listed):
            write(unit, _courses, course.storyblok_uuid, listed.model_copy(update={"updated_at": now}), new=False)
            changed = True
    return changed


def create_resource(body: CreateResource) -> ResourceOut:
    """A resource entered by hand (super admin); its Storyblok uuid must be new."""

    def work(unit: UnitOfWork) -> ResourceRecord:
        if _resources.get(body.storyblok_uuid, transaction=unit.transaction) is not None:
            raise Conflict(RESOURCE_EXISTS)
        now = utcnow()
        record = ResourceRecord(
            id=str(uuid.uuid4()),
            storyblok_uuid=body.storyblok_uuid,
            storyblok_id=body.storyblok_id,
            name=body.name,
            slug=body.slug,
            status=body.status,
            category=body.category,
            created_at=now,
            updated_at=now,
        )
        write(unit, _resources, body.storyblok_uuid, record, new=True)
        return record

    return resource_out(run_in_transaction(work))


def get_resource(public_id: str) -> ResourceOut:
    resource = find_by_public_id(_resources, public_id)
    if resource is None:
        raise NotFound(RESOURCE_NOT_FOUND)
    return resource_out(resource)
