"""Feedback on sessions and resources, and the event log.

Feedback is stored with its description reduced to the allowed HTML and linked to the user's public id; the
team is told through `FEEDBACK_SUBMITTED` (recorded in the same transaction), which carries the content's id,
name and the tags but never the description. When a user is deleted, their feedback is deleted with the
description: it is free text a survivor wrote and may identify them, so it is not kept unlinked.
"""

from __future__ import annotations

import uuid

from bloom.content.repository import ResourcesRepository, SessionsRepository, delete_where_user, find_by_public_id
from bloom.core.errors import NotFound
from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.feedback.events import FEEDBACK_SUBMITTED, FeedbackSubmitted
from bloom.feedback.html import sanitise_html
from bloom.feedback.models import EventLogRecord, FeedbackKind, FeedbackRecord
from bloom.feedback.repository import EventLogRepository, ResourceFeedbackRepository, SessionFeedbackRepository
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
from bloom.platform.store.unit_of_work import UnitOfWork, run_in_transaction
from bloom.users.schemas import UserRecord

SESSION_NOT_FOUND = "SESSION NOT FOUND"
RESOURCE_NOT_FOUND = "RESOURCE NOT FOUND"
_log = get_logger(__name__)
_sessions = SessionsRepository()
_resources = ResourcesRepository()
_session_feedback = SessionFeedbackRepository()
_resource_feedback = ResourceFeedbackRepository()
_event_logs = EventLogRepository()


def _store(
    repository: Repository[FeedbackRecord],
    kind: FeedbackKind,
    user: UserRecord,
    item_id: str,
    item_uuid: str,
    item_name: str,
    tags: list[FeedbackTag],
    description: str,
) -> FeedbackRecord:
    now = utcnow()
    record = FeedbackRecord(
        id=str(uuid.uuid4()),
        kind=kind,
        user_id=user.id,
        item_id=item_id,
        item_uuid=item_uuid,
        feedback_tags=tags,
        feedback_description=sanitise_html(description),
        created_at=now,
        updated_at=now,
    )

    def work(unit: UnitOfWork) -> None:
        unit.create(repository.ref(record.id), repository.to_doc(record))
        unit.emit(
            FEEDBACK_SUBMITTED,
            FeedbackSubmitted(feedback_id=record.id, kind=kind, item_id=item_id, item_name=item_name, tags=list(tags)),
        )

    run_in_transaction(work)
    _log.info("feedback stored", extra={"kind": kind, "feedback_id": record.id})
    return record


def submit_session_feedback(user: UserRecord, body: SessionFeedbackBody) -> SessionFeedbackOut:
    session = find_by_public_id(_sessions, body.session_id)
    if session is None:
        raise NotFound(SESSION_NOT_FOUND)
    record = _store(
        _session_feedback,
        "session",
        user,
        session.id,
        session.storyblok_uuid,
        session.name,
        body.feedback_tags,
        body.feedback_description,
    )
    return SessionFeedbackOut(
        id=record.id,
        session_id=record.item_id,
        feedback_tags=record.feedback_tags,
        feedback_description=record.feedback_description,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def submit_resource_feedback(user: UserRecord, body: ResourceFeedbackBody) -> ResourceFeedbackOut:
    resource = find_by_public_id(_resources, body.resource_id)
    if resource is None:
        raise NotFound(RESOURCE_NOT_FOUND)
    record = _store(
        _resource_feedback,
        "resource",
        user,
        resource.id,
        resource.storyblok_uuid,
        resource.name,
        body.feedback_tags,
        body.feedback_description,
    )
    return ResourceFeedbackOut(
        id=record.id,
        resource_id=record.item_id,
        feedback_tags=record.feedback_tags,
        feedback_description=record.feedback_description,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


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
    _event_logs.save(record.id, record)
    return EventLogOut(
        id=record.id,
        created_at=record.created_at,
        updated_at=record.updated_at,
        date=record.date,
        event=record.event,
        user_id=record.user_id,
        metadata=record.metadata,
    )


def erase_user_feedback(user_id: str) -> int:
    """Delete a user's feedback (with its text) and event log entries. Idempotent; returns how many went."""
    deleted = sum(delete_where_user(repo, user_id) for repo in (_session_feedback, _resource_feedback, _event_logs))
    _log.info("user feedback and events erased", extra={"records": deleted})
    return deleted
