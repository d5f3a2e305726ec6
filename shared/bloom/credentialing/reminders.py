"""The credentialing job (a service module), daily: follow-ups due, and documents and approvals expiring in 60, 30
and 7 days, each become an in-app notice to the therapist; approvals whose expiry has passed become `expired`.

Each notice has an id derived from what it is about, the threshold and the day it concerns
(`credentialing-follow-up-{applicationId}-{followUpOn}`, `credential-expiring-{days}d-{documentId}-{expiresOn}`,
`approval-expiring-{days}d-{applicationId}-{expiresOn}`), created with `create`: however often the job fires, each
is sent once, and a date changed later (a renewed expiry, a new follow-up day) is a new notice. The job works as of
its run's `scheduled_at` (`ScheduledRun.moment()`), so tests set the clock.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bloom.core.logging import get_logger
from bloom.credentialing.applications import emit_status_change
from bloom.credentialing.models import (
    EXPIRY_NOTICE_DAYS,
    FOLLOW_UP_CATCH_UP,
    ApplicationRecord,
    expiry_notice_days,
    follow_up_due,
)
from bloom.credentialing.repository import CredentialsWork
from bloom.credentialing.schemas import DocumentKind, HistoryEntry
from bloom.notifications import inbox
from bloom.notifications.schemas import Notice

_log = get_logger(__name__)
KIND_LABELS: dict[DocumentKind, str] = {
    "license": "licence",
    "diploma": "diploma",
    "malpractice_insurance": "malpractice insurance",
    "npi": "NPI registration",
    "caqh": "CAQH profile",
    "dea": "DEA registration",
    "cv": "CV",
    "other": "document",
}
SYSTEM = "system"  # the history's `by` for changes the job makes


def follow_up_id(application_id: str, day: date) -> str:
    return f"credentialing-follow-up-{application_id}-{day.isoformat()}"


def credential_expiring_id(document_id: str, days: int, expires_on: date) -> str:
    return f"credential-expiring-{days}d-{document_id}-{expires_on.isoformat()}"


def approval_expiring_id(application_id: str, days: int, expires_on: date) -> str:
    return f"approval-expiring-{days}d-{application_id}-{expires_on.isoformat()}"


def due_notices(today: date) -> list[tuple[str, str, Notice]]:
    """(inbox uid, notification id, notice) of every notice due as of `today` (sent before or not)."""
    horizon = today + timedelta(days=max(EXPIRY_NOTICE_DAYS))
    with CredentialsWork() as uow:
        documents = uow.documents.expiring_between(today, horizon)
        follow_ups = uow.applications.follow_ups_between(today - timedelta(days=FOLLOW_UP_CATCH_UP), today)
        approvals = uow.applications.approvals_expiring_between(today, horizon)
    notices: list[tuple[str, str, Notice]] = []
    for document in documents:
        days = expiry_notice_days(document.expires_on, today)
        if days is not None and document.expires_on is not None:
            notice = inbox.credential_expiring(document.id, KIND_LABELS[document.kind], days)
            notices.append((document.owner_uid, credential_expiring_id(document.id, days, document.expires_on), notice))
    for application in follow_ups:
        if follow_up_due(application, today) and application.follow_up_on is not None:
            notification_id = follow_up_id(application.id, application.follow_up_on)
            notices.append((application.owner_uid, notification_id, inbox.credentialing_follow_up(application.id)))
    for application in approvals:
        days = expiry_notice_days(application.expires_on, today)
        if days is not None and application.expires_on is not None:
            notification_id = approval_expiring_id(application.id, days, application.expires_on)
            notices.append((application.owner_uid, notification_id, inbox.approval_expiring(application.id, days)))
    return notices


def _expire(application_id: str, today: date, now: datetime) -> bool:
    def work(uow: CredentialsWork) -> bool:
        record = uow.applications.get(application_id)
        if record is None or record.status != "approved" or record.expires_on is None or record.expires_on >= today:
            return False  # changed meanwhile
        entry = HistoryEntry(at=now, by=SYSTEM, from_status="approved", to_status="expired", changed=[])
        expired = record.model_copy(
            update={"status": "expired", "history": [*record.history, entry], "updated_at": now}
        )
        uow.applications.save(record.id, expired)
        emit_status_change(uow, entry, record.id)
        return True

    return CredentialsWork.run_in_transaction(work)


def expire_approvals(today: date, now: datetime) -> int:
    """Approved applications whose `expiresOn` is past become `expired` (one transaction each)."""
    with CredentialsWork() as uow:
        over: list[ApplicationRecord] = uow.applications.approvals_expiring_between(date.min, today - timedelta(days=1))
    return sum(_expire(record.id, today, now) for record in over)


def run_daily(now: datetime) -> int:
    """The daily job, as of `now` (UTC days): returns how many notices this run sent."""
    today = now.date()
    expired = expire_approvals(today, now)
    sent = inbox.notify_each_once(due_notices(today))
    _log.info("credentialing job ran", extra={"sent": sent, "expired": expired})
    return sent
