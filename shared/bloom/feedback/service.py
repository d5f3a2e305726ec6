"""Feedback on sessions and resources, and the event log.

Feedback is stored with its description reduced to the allowed HTML and linked to the user's public id; the
team is told through `FEEDBACK_SUBMITTED` (recorded in the same transaction), which carries the content's id,
name and the tags but never the description. When a user is deleted, their feedback is deleted with the
description: it is free text a survivor wrote and may identify them, so it is not kept unlinked.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from bloom.content import errors as content_errors
from bloom.content import service as content
from bloom.content.schemas import ContentItem
from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.feedback.events import EVENT_LOG_RECORDED, FEEDBACK_SUBMITTED, EventLogRecorded, FeedbackSubmitted
from bloom.feedback.html import sanitise_html
from bloom.feedback.models import EventLogRecord, FeedbackKind, FeedbackRecord
from bloom.feedback.repository import FeedbackWork
from bloom.feedback.schemas import (
    EventLogBody,
    EventLogOut,
    FeedbackTag,
    ResourceFeedbackBody,
    ResourceFeedbackOut,
    SessionFeedbackBody,
    SessionFeedbackOut,
)
from bloom.platform.store.repository import Repository
from bloom.users.schemas import UserRecord

_log = get_logger(__name__)


def _store(
    repository: Callable[[FeedbackWork], Repository[FeedbackRecord]],
    kind: FeedbackKind,
    user: UserRecord,
    item: ContentItem,
    tags: list[FeedbackTag],
    description: str,
) -> FeedbackRecord:
    now = utcnow()
    record = FeedbackRecord(
        id=str(uuid.uuid4()),
        kind=kind,
        user_id=user.id,
        item_id=item.id,
        item_uuid=item.storyblok_uuid,
        feedback_tags=tags,
        feedback_description=sanitise_html(description),
        created_at=now,
        updated_at=now,
    )
    with FeedbackWork() as uow:
        repository(uow).create(record.id, record)
        uow.emit(
            FEEDBACK_SUBMITTED,
            FeedbackSubmitted(
                feedback_id=record.id,
                kind=kind,
                item_id=item.id,
                item_name=item.name,
                tags=list(tags),
                submitted_at=now.isoformat(),
            ),
        )
    _log.info("feedback stored", extra={"kind": kind, "feedback_id": record.id})
    return record


def _shown(record: FeedbackRecord) -> dict[str, Any]:
    """The fields session and resource feedback show alike."""
    return record.model_dump(include={"id", "feedback_tags", "feedback_description", "created_at", "updated_at"})


def submit_session_feedback(user: UserRecord, body: SessionFeedbackBody) -> SessionFeedbackOut:
    session = content.session_by_public_id(body.session_id)
    if session is None:
        raise content_errors.SESSION_NOT_FOUND.error()
    record = _store(
        lambda uow: uow.session_feedback, "session", user, session, body.feedback_tags, body.feedback_description
    )
    return SessionFeedbackOut(session_id=record.item_id, **_shown(record))


def submit_resource_feedback(user: UserRecord, body: ResourceFeedbackBody) -> ResourceFeedbackOut:
    resource = content.resource_by_public_id(body.resource_id)
    if resource is None:
        raise content_errors.RESOURCE_NOT_FOUND.error()
    record = _store(
        lambda uow: uow.resource_feedback, "resource", user, resource, body.feedback_tags, body.feedback_description
    )
    return ResourceFeedbackOut(resource_id=record.item_id, **_shown(record))


def log_event(user: UserRecord, body: EventLogBody) -> EventLogOut:
    now = utcnow()
    record = EventLogRecord(
        id=str(uuid.uuid4()),
        user_id=user.id,
        event=body.event,
        date=now,
        metadata=body.metadata,
        created_at=now,
        updated_at=now,
    )
    with FeedbackWork() as uow:
        uow.event_logs.create(record.id, record)
        uow.emit(EVENT_LOG_RECORDED, EventLogRecorded(user_id=user.id, event=record.event, occurred_at=now.isoformat()))
    return EventLogOut(
        id=record.id,
        created_at=record.created_at,
        updated_at=record.updated_at,
        date=record.date,
        event=record.event,
        user_id=record.user_id,
        metadata=record.metadata,
    )


def feedback_events_page(
    kind: FeedbackKind, after: str | None, limit: int
) -> tuple[list[FeedbackSubmitted], str | None]:
    """FEEDBACK_SUBMITTED as recorded, rebuilt from stored feedback (reporting's backfill; the content's name is
    not stored with the feedback and reports do not need it), a page at a time in document order."""
    with FeedbackWork() as uow:
        repo = uow.session_feedback if kind == "session" else uow.resource_feedback
        rows = repo.page(after, limit)
    events = [
        FeedbackSubmitted(
            feedback_id=record.id,
            kind=kind,
            item_id=record.item_id,
            item_name="",
            tags=list(record.feedback_tags),
            submitted_at=record.created_at.isoformat(),
        )
        for _, record in rows
    ]
    return events, (rows[-1][0] if len(rows) == limit else None)


def event_log_events_page(after: str | None, limit: int) -> tuple[list[EventLogRecorded], str | None]:
    """EVENT_LOG_RECORDED as recorded, rebuilt from the stored event log, a page at a time in document order."""
    with FeedbackWork() as uow:
        rows = uow.event_logs.page(after, limit)
    events = [
        EventLogRecorded(user_id=record.user_id, event=record.event, occurred_at=record.date.isoformat())
        for _, record in rows
    ]
    return events, (rows[-1][0] if len(rows) == limit else None)


def erase_user_feedback(user_id: str) -> int:
    """Delete a user's feedback (with its text) and event log entries. Idempotent; returns how many went."""
    with FeedbackWork() as uow:
        repositories = (uow.session_feedback, uow.resource_feedback, uow.event_logs)
        deleted = sum(repo.delete_matching(user_id=user_id) for repo in repositories)
    _log.info("user feedback and events erased", extra={"records": deleted})
    return deleted
