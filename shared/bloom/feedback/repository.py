"""Feedback on sessions and resources, and the event log; every record carries the user's public id."""

from __future__ import annotations

from bloom.feedback.models import EventLogRecord, FeedbackRecord
from bloom.platform.store.repository import Repository
from bloom.platform.store.unit_of_work import UnitOfWork, repository


class SessionFeedbackRepository(Repository[FeedbackRecord]):
    collection_name = "sessionFeedback"
    model = FeedbackRecord


class ResourceFeedbackRepository(Repository[FeedbackRecord]):
    collection_name = "resourceFeedback"
    model = FeedbackRecord


class EventLogRepository(Repository[EventLogRecord]):
    collection_name = "eventLogs"
    model = EventLogRecord


class FeedbackWork(UnitOfWork):
    session_feedback = repository(SessionFeedbackRepository)
    resource_feedback = repository(ResourceFeedbackRepository)
    event_logs = repository(EventLogRepository)
