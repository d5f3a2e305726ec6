"""The right of access: a patient's export of everything they may read, as a job.

`POST patients/me/export` records a pending job (audited as `export`) and an event; its subscriber reads, as the
patient, their intake form, treatment plan, diagnoses, the notes shared with them, their appointments (booked and
cancelled), their messages and their invoices with their payments (through the same use cases as the API, so the
bundle holds exactly what they may read, and those reads are audited too), and writes the JSON bundle to the private
bucket. `GET patients/me/export/:id` answers `{status, url?}` with a signed URL of 5 minutes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from bloom.billing import invoices
from bloom.core.errors import NotFound
from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.files import service as files
from bloom.messaging import messages, threads
from bloom.messaging.schemas import MessagesQuery, ThreadsQuery
from bloom.records import errors
from bloom.records import service as records
from bloom.records.access import audit_in
from bloom.records.events import EXPORT_REQUESTED, ExportRequested
from bloom.records.models import ExportRecord
from bloom.records.repository import RecordsWork
from bloom.records.schemas import ExportJob, ExportState, NotesQuery, PlanQuery
from bloom.scheduling import service as scheduling
from bloom.users import service as users
from bloom.users.schemas import Caller

_log = get_logger(__name__)
BUNDLE_TYPE = "application/json"
PAGE = 100
T = TypeVar("T")


def object_name(record: ExportRecord) -> str:
    return f"exports/{record.patient_id}/{record.id}.json"


def request_export(caller: Caller) -> ExportJob:
    def work(uow: RecordsWork) -> ExportRecord:
        record = ExportRecord(id=str(uuid.uuid4()), patient_id=caller.user.id, status="pending", created_at=utcnow())
        uow.exports.create(record.id, record)
        audit_in(uow, caller, "patient", caller.user.id, "export", record.id, "export")
        requested = ExportRequested(export_id=record.id, patient_id=record.patient_id, auth_uid=caller.auth_uid)
        uow.emit(EXPORT_REQUESTED, requested)
        return record

    record = RecordsWork.run_in_transaction(work)
    return ExportJob(id=record.id, status=record.status)


def export_state(caller: Caller, export_id: str) -> ExportState:
    """The caller's own export job (anyone else's is 404), with a 5-minute link once it is ready."""
    with RecordsWork() as uow:
        record = uow.exports.get(export_id)
    if record is None or record.patient_id != caller.user.id:
        raise errors.EXPORT_NOT_FOUND.error()
    if record.status != "ready":
        return ExportState(status=record.status)
    url = files.download_url(object_name(record), BUNDLE_TYPE, "bloom-records-export.json")
    return ExportState(status=record.status, url=url)


def build_export(event: ExportRequested) -> str:
    """Build and store the bundle of a pending export (a redelivered event finds it done). Returns its status."""
    with RecordsWork() as uow:
        record = uow.exports.get(event.export_id)
    if record is None or record.status != "pending":
        return record.status if record is not None else "missing"
    user = users.record_of(event.auth_uid)
    if user is None or user.id != record.patient_id:  # erased meanwhile: nothing to export
        status = "failed"
    else:
        bundle = _bundle(Caller(auth_uid=event.auth_uid, claims={}, user=user))
        files.store_object(object_name(record), json.dumps(bundle, default=str).encode(), BUNDLE_TYPE)
        status = "ready"
    with RecordsWork() as uow:
        uow.exports.change(record.id, status=status, finished_at=utcnow())
    _log.info("records export built", extra={"exportId": record.id, "status": status})
    return status


def _bundle(caller: Caller) -> dict[str, Any]:
    patient_id = caller.user.id
    notes: list[Any] = []
    cursor = None
    while True:
        page = records.list_notes(caller, patient_id, NotesQuery(cursor=cursor, limit=PAGE))
        notes += [note.model_dump(by_alias=True, mode="json") for note in page.items]
        if (cursor := page.next_cursor) is None:
            break
    return {
        "patientId": patient_id,
        "exportedAt": utcnow().isoformat(),
        "intake": _dumped(_or_none(lambda: records.get_intake(caller, patient_id))),
        "treatmentPlan": _dumped(_or_none(lambda: records.get_plan(caller, patient_id, PlanQuery()))),
        "diagnoses": [d.model_dump(by_alias=True, mode="json") for d in records.list_diagnoses(caller, patient_id)],
        "sessionNotes": notes,
        "appointments": [
            appointment.model_dump(by_alias=True, mode="json")
            for appointment in scheduling.booked_and_cancelled_appointments_of(patient_id)
        ],
        "messages": _messages(caller),
        "invoices": [
            invoice.model_dump(by_alias=True, mode="json") for invoice in invoices.own_invoices_with_payments(caller)
        ],
    }


def _messages(caller: Caller) -> list[dict[str, Any]]:
    """Every message of the caller's threads, as they see them (blurred stays blurred)."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = threads.list_threads(caller, ThreadsQuery(cursor=cursor, limit=PAGE))
        for thread in page.items:
            before = None
            while True:
                shown = messages.list_messages(caller, thread.id, MessagesQuery(before=before, limit=PAGE))
                found += [message.model_dump(by_alias=True, mode="json") for message in shown.items]
                if (before := shown.next_cursor) is None:
                    break
        if (cursor := page.next_cursor) is None:
            return found


def _or_none(read: Callable[[], T]) -> T | None:
    try:
        return read()
    except NotFound:  # no intake form or plan yet
        return None


def _dumped(model: Any) -> Any:
    return model.model_dump(by_alias=True, mode="json") if model is not None else None


def delete_exports_of(patient_id: str) -> int:
    """Delete the patient's export bundles and jobs (at erasure: a bundle is a copy, not a record to retain)."""
    with RecordsWork() as uow:
        found = uow.exports.of_patient(patient_id)
    for record in found:
        files.delete_object(object_name(record))
    with RecordsWork() as uow:
        uow.exports.delete_matching(patient_id=patient_id)
    return len(found)
