"""Credentialing applications (a service module): a therapist applies to a payer in a state; the application's
checklist is the payer's requirements (`requirements_for`), each matched to an unexpired document of its kind;
the therapist submits it once every requirement is met; practice admins move it through review (legal transitions
only, `models.ADMIN_TRANSITIONS`), and every change is a history entry.

Therapists see their own applications, practice admins every one; anyone else's id answers 404.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from bloom.core.errors import Conflict
from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.credentialing import errors
from bloom.credentialing.events import APPLICATION_STATUS_CHANGED, ApplicationStatusChanged
from bloom.credentialing.models import (
    OPEN,
    ApplicationRecord,
    Requirement,
    admin_may_change,
    match_checklist,
    missing,
)
from bloom.credentialing.repository import CredentialsWork
from bloom.credentialing.retrieval import requirements_for
from bloom.credentialing.schemas import (
    Application,
    ApplicationList,
    ApplicationStatus,
    CreateApplication,
    HistoryEntry,
    UpdateApplication,
)
from bloom.practice import errors as practice_errors
from bloom.users.schemas import Caller

_log = get_logger(__name__)
DATES = {"follow_up_on": "followUpOn", "decision_on": "decisionOn", "expires_on": "expiresOn"}  # as callers name them


def _out(uow: CredentialsWork, record: ApplicationRecord, now: datetime) -> Application:
    documents = uow.documents.owned_by(record.owner_id) if record.submitted_checklist is None else []
    return record.out(documents, now.date())


def emit_status_change(uow: CredentialsWork, entry: HistoryEntry, application_id: str) -> None:
    """Announce a history entry that changed the status (in the change's transaction); others announce nothing."""
    if entry.from_status != entry.to_status:
        changed = ApplicationStatusChanged(
            application_id=application_id,
            from_status=entry.from_status,
            to_status=entry.to_status,
            at=entry.at.isoformat(),
        )
        uow.emit(APPLICATION_STATUS_CHANGED, changed)


def create_application(caller: Caller, body: CreateApplication) -> Application:
    """`POST credentialing/applications`: a draft for the payer and state, its checklist from the requirements
    known for them (none known: 409). One open application per payer and state (409)."""
    moment = utcnow()
    therapist_id = caller.user.therapist_profile_id
    if therapist_id is None:
        raise practice_errors.THERAPIST_NOT_FOUND.error()
    requirements = [
        Requirement(requirement_id=item.id, text=item.text, kind=item.kind)
        for item in requirements_for(therapist_id, body.payer, body.state)
    ]
    if not requirements:
        raise errors.NO_REQUIREMENTS_KNOWN.error()
    record = ApplicationRecord(
        id=uuid.uuid4().hex,
        owner_id=caller.user.id,
        owner_uid=caller.auth_uid,
        therapist_id=therapist_id,
        payer=body.payer,
        state=body.state,
        status="draft",
        requirements=requirements,
        history=[HistoryEntry(at=moment, by=caller.user.id, from_status=None, to_status="draft", changed=[])],
        created_at=moment,
        updated_at=moment,
    )

    def work(uow: CredentialsWork) -> Application:
        owned = uow.applications.owned_by(record.owner_id)
        if any(a.payer == record.payer and a.state == record.state and a.status in OPEN for a in owned):
            raise errors.APPLICATION_ALREADY_OPEN.error()
        out = _out(uow, record, moment)
        uow.applications.create(record.id, record)
        emit_status_change(uow, record.history[0], record.id)
        return out

    out = CredentialsWork.run_in_transaction(work)
    _log.info("credentialing application created", extra={"applicationId": record.id})
    return out


def _visible(uow: CredentialsWork, caller: Caller, application_id: str) -> ApplicationRecord:
    record = uow.applications.get(application_id)
    if record is None or (record.owner_id != caller.user.id and not caller.is_practice_admin):
        raise errors.APPLICATION_NOT_FOUND.error()
    return record


def get_application(caller: Caller, application_id: str) -> Application:
    with CredentialsWork() as uow:
        return _out(uow, _visible(uow, caller, application_id), utcnow())


def list_applications(caller: Caller, status: ApplicationStatus | None = None) -> ApplicationList:
    """`GET credentialing/applications`: a therapist's own, newest first; a practice admin's: every therapist's
    (the newest 200, optionally of one status)."""
    moment = utcnow()
    with CredentialsWork() as uow:
        if caller.is_practice_admin:
            found = uow.applications.newest(status)
        else:
            found = [a for a in uow.applications.owned_by(caller.user.id) if status in (None, a.status)]
            found.sort(key=lambda a: (a.created_at, a.id), reverse=True)
        documents = {
            owner_id: uow.documents.owned_by(owner_id)
            for owner_id in {a.owner_id for a in found if a.submitted_checklist is None}
        }
    return ApplicationList(items=[a.out(documents.get(a.owner_id, []), moment.date()) for a in found])


def submit_application(caller: Caller, application_id: str) -> Application:
    """`POST credentialing/applications/:id/submit` (the therapist's own): every requirement must be met by an
    unexpired document (else 409 naming each one missing); the checklist is kept as submitted."""
    moment = utcnow()

    def work(uow: CredentialsWork) -> ApplicationRecord:
        record = uow.applications.get(application_id)
        if record is None or record.owner_id != caller.user.id:
            raise errors.APPLICATION_NOT_FOUND.error()
        if record.status != "draft":
            raise errors.APPLICATION_NOT_DRAFT.error()
        checklist = match_checklist(record.requirements, uow.documents.owned_by(record.owner_id), moment.date())
        lacking = missing(checklist)
        if lacking:
            raise Conflict([errors.APPLICATION_INCOMPLETE.message, *lacking])
        entry = HistoryEntry(at=moment, by=caller.user.id, from_status="draft", to_status="submitted", changed=[])
        submitted = record.model_copy(
            update={
                "status": "submitted",
                "submitted_checklist": checklist,
                "history": [*record.history, entry],
                "updated_at": moment,
            }
        )
        uow.applications.save(record.id, submitted)
        emit_status_change(uow, entry, record.id)
        return submitted

    record = CredentialsWork.run_in_transaction(work)
    _log.info("credentialing application submitted", extra={"applicationId": record.id})
    return record.out([], moment.date())


def update_application(caller: Caller, application_id: str, body: UpdateApplication) -> Application:
    """`PATCH credentialing/applications/:id` (practice admins): a legal status change (else 409) and/or dates and
    a note, recorded as one history entry."""
    moment = utcnow()
    fields = body.model_fields_set

    def work(uow: CredentialsWork) -> Application:
        record = uow.applications.get(application_id)
        if record is None:
            raise errors.APPLICATION_NOT_FOUND.error()
        wanted = body.status if body.status is not None else record.status
        if not admin_may_change(record.status, wanted):
            raise errors.ILLEGAL_STATUS_CHANGE.error()
        dates = {name: getattr(body, name) for name in DATES if name in fields}
        changed = [name for name, value in dates.items() if getattr(record, name) != value]
        entry = HistoryEntry(
            at=moment,
            by=caller.user.id,
            from_status=record.status,
            to_status=wanted,
            changed=[DATES[name] for name in changed],
            note=body.note,
        )
        updated = record.model_copy(
            update={**dates, "status": wanted, "history": [*record.history, entry], "updated_at": moment}
        )
        out = _out(uow, updated, moment)
        uow.applications.save(record.id, updated)
        emit_status_change(uow, entry, record.id)
        return out

    out = CredentialsWork.run_in_transaction(work)
    _log.info("credentialing application updated", extra={"applicationId": application_id, "status": out.status})
    return out
