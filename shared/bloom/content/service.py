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

from bloom.content import errors, storyblok
from bloom.content.models import (
    ContentCatalogue,
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
from bloom.content.repository import CATALOGUE_ID, ContentWork
from bloom.content.schemas import (
    STORY_KEY_PATTERN,
    ContentItem,
    ContentKind,
    CreateResource,
    ResourceOut,
    StoryblokSyncResult,
    StoryblokWebhook,
    StoryStatus,
    WebhookAction,
)
from bloom.core.logging import get_logger
from bloom.core.time import utcnow

_log = get_logger(__name__)


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
        raise errors.STORY_NOT_FOUND.error()
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
        changed = ContentWork.run_in_transaction(lambda uow: _upsert_course(uow, story))
    elif kind == "session":
        changed = ContentWork.run_in_transaction(lambda uow: _upsert_session(uow, story))
    elif kind == "resource":
        changed = ContentWork.run_in_transaction(lambda uow: _upsert_resource(uow, story))
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


def _upsert_course(uow: ContentWork, story: StoryblokStory) -> bool:
    existing = uow.courses.get(story.uuid)
    now = utcnow()
    course = CourseRecord(
        **_published_copy(story, existing, now),
        included_for_partners=partners_from_content(story.content.get("included_for_partners")),
        sessions=existing.sessions if existing else [],
    )
    if existing is not None and same_content(existing, course):
        return False
    uow.save_course(story.uuid, course, new=existing is None)
    return True


def _upsert_session(uow: ContentWork, story: StoryblokStory) -> bool:
    course_uuid = story.content.get("course")
    if not isinstance(course_uuid, str) or not re.match(STORY_KEY_PATTERN, course_uuid):
        raise errors.SESSION_WITHOUT_COURSE.error()
    # Every read before any write (Firestore transactions).
    existing = uow.sessions.get(story.uuid)
    course = uow.courses.get(course_uuid)
    if course is None:
        raise errors.COURSE_NOT_FOUND.error()
    previous_course = None
    if existing is not None and existing.course_uuid != course_uuid:
        previous_course = uow.courses.get(existing.course_uuid)
    now = utcnow()
    session = SessionRecord(**_published_copy(story, existing, now), course_uuid=course_uuid, course_id=course.id)
    changed = False
    if existing is None or not same_content(existing, session):
        uow.sessions.save(story.uuid, session, new=existing is None)
        changed = True
    listed = with_session(course, session.summary())
    if not same_content(course, listed):
        uow.save_course(course_uuid, listed.model_copy(update={"updated_at": now}), new=False)
        changed = True
    if previous_course is not None:
        unlisted = without_session(previous_course, story.uuid)
        if not same_content(previous_course, unlisted):
            uow.save_course(
                previous_course.storyblok_uuid,
                unlisted.model_copy(update={"updated_at": now}),
                new=False,
            )
            changed = True
    return changed


def _upsert_resource(uow: ContentWork, story: StoryblokStory) -> bool:
    existing = uow.resources.get(story.uuid)
    now = utcnow()
    resource = ResourceRecord(**_published_copy(story, existing, now), category=resource_category(story.component))
    if existing is not None and same_content(existing, resource):
        return False
    uow.save_resource(story.uuid, resource, new=existing is None)
    return True


def set_status(story_id: int, status: StoryStatus, action: WebhookAction) -> StoryblokSyncResult:
    """Unpublish or delete our copy of a story, found by its numeric id; unknown stories are ignored."""
    found = _find_story(story_id)
    if found is None:
        _log.info("status change for a story we do not hold", extra={"story_id": story_id})
        return _result(action, story_id, None, None, None, changed=False)
    kind, key = found
    changed = ContentWork.run_in_transaction(lambda uow: _set_status(uow, kind, key, status))
    _log.info("story status synced", extra={"story_id": story_id, "kind": kind, "changed": changed})
    return _result(action, story_id, kind, key, status, changed=changed)


def _find_story(story_id: int) -> tuple[ContentKind, str] | None:
    """Which of our collections holds the story with this numeric id, and its key (the story uuid)."""
    with ContentWork() as uow:
        if (course := uow.courses.by_story_id(story_id)) is not None:
            return "course", course[0]
        if (session := uow.sessions.by_story_id(story_id)) is not None:
            return "session", session[0]
        if (resource := uow.resources.by_story_id(story_id)) is not None:
            return "resource", resource[0]
    return None


def _set_status(uow: ContentWork, kind: ContentKind, key: str, status: StoryStatus) -> bool:
    now = utcnow()
    if kind == "course":
        course = uow.courses.get(key)
        if course is None or course.status == status:
            return False
        uow.save_course(key, course.model_copy(update={"status": status, "updated_at": now}), new=False)
        return True
    if kind == "resource":
        resource = uow.resources.get(key)
        if resource is None or resource.status == status:
            return False
        uow.save_resource(key, resource.model_copy(update={"status": status, "updated_at": now}), new=False)
        return True
    session = uow.sessions.get(key)
    if session is None:
        return False
    course = uow.courses.get(session.course_uuid)
    changed = False
    if session.status != status:
        session = session.model_copy(update={"status": status, "updated_at": now})
        uow.sessions.save(key, session, new=False)
        changed = True
    if course is not None:
        listed = with_session(course, session.summary())
        if not same_content(course, listed):
            uow.save_course(course.storyblok_uuid, listed.model_copy(update={"updated_at": now}), new=False)
            changed = True
    return changed


def rebuild_catalogue() -> int:
    """Rewrite `catalogues/content` from the course and resource documents; returns how many entries it holds."""

    def work(uow: ContentWork) -> int:
        courses = {key: uow.courses.to_doc(course) for key, course in uow.courses.select()}
        resources = {key: uow.resources.to_doc(resource) for key, resource in uow.resources.select()}
        uow.catalogue.save(CATALOGUE_ID, ContentCatalogue(courses=courses, resources=resources))
        return len(courses) + len(resources)

    return ContentWork.run_in_transaction(work)


def create_resource(body: CreateResource) -> ResourceOut:
    """A resource entered by hand (super admin); its Storyblok uuid must be new."""

    def work(uow: ContentWork) -> ResourceRecord:
        if uow.resources.get(body.storyblok_uuid) is not None:
            raise errors.RESOURCE_EXISTS.error()
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
        uow.save_resource(body.storyblok_uuid, record, new=True)
        return record

    return resource_out(ContentWork.run_in_transaction(work))


def get_resource(public_id: str) -> ResourceOut:
    with ContentWork() as uow:
        resource = uow.resources.by_public_id(public_id)
    if resource is None:
        raise errors.RESOURCE_NOT_FOUND.error()
    return resource_out(resource)


def session_by_public_id(public_id: str) -> ContentItem | None:
    with ContentWork() as uow:
        session = uow.sessions.by_public_id(public_id)
    return ContentItem(session.id, session.storyblok_uuid, session.name) if session is not None else None


def resource_by_public_id(public_id: str) -> ContentItem | None:
    with ContentWork() as uow:
        resource = uow.resources.by_public_id(public_id)
    return ContentItem(resource.id, resource.storyblok_uuid, resource.name) if resource is not None else None
