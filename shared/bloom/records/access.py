"""Who may see a patient's records, and the access audit of every read and write.

The care team is the therapists with an active assignment to the patient (they write), those whose assignment
ended (read-only), and practice admins; the patient reads their intake form, plan, diagnoses and the notes shared
with them. Anyone else is answered as if nothing existed (404). Every read appends an `AccessAudit` that commits
before the read is returned; every write appends one in its own transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bloom.core.logging import current_request_id
from bloom.core.time import utcnow
from bloom.platform import crypto, cursors
from bloom.platform.store.repository import Repository
from bloom.platform.store.unit_of_work import Fetched, UnitOfWork
from bloom.practice import service as practice
from bloom.records import errors
from bloom.records.models import AccessAuditRecord, PatientFileRecord, Relation, access_role, may_read, may_write
from bloom.records.repository import RecordsWork
from bloom.records.schemas import AccessLogEntry, AccessLogPage, AccessLogQuery, AuditAction, RecordKind
from bloom.users.schemas import Caller


def relation_in(uow: UnitOfWork, caller: Caller, patient_id: str) -> Relation:
    """How the caller stands to the patient (one query for a therapist, none otherwise)."""
    if caller.user.id == patient_id:
        return "patient"
    profile_id = caller.user.therapist_profile_id
    if caller.is_therapist and profile_id is not None:
        found = practice.care_relation_in(uow, profile_id, patient_id)
        if found == "active":
            return "therapist"
        if found == "ended":
            return "former_therapist"
    return "practice_admin" if caller.is_practice_admin else "outsider"


def check_read(relation: Relation, file: PatientFileRecord | None, kind: RecordKind, *, shared: bool = True) -> None:
    """404 unless the caller may read this kind of record of a patient whose records are not erased."""
    if (file is not None and file.erased_at is not None) or not may_read(relation, kind, shared=shared):
        raise errors.RECORD_NOT_FOUND.error()


def check_write(relation: Relation, file: PatientFileRecord | None, kind: RecordKind) -> None:
    """404 for who may not read it, 403 RECORDS_READ_ONLY for who may read but not write it."""
    check_read(relation, file, kind)
    if not may_write(relation, kind):
        raise errors.RECORDS_READ_ONLY.error()


@dataclass(frozen=True)
class Access:
    """What a use case knows once the caller's access to a patient's records is checked."""

    relation: Relation
    file: PatientFileRecord | None
    fetched: Fetched  # the documents read with the patient's file


Also = Sequence[tuple[Repository[Any], str]]  # documents to read with the patient's file, in one round trip


def _access_in(uow: RecordsWork, caller: Caller, patient_id: str, also: Also) -> Access:
    """The patient's file, `also` and their data key in one round trip, then the caller's relation."""
    fetched = uow.fetch([(uow.files, patient_id), crypto.data_key_ref(uow, patient_id), *also])
    return Access(relation_in(uow, caller, patient_id), fetched.get(uow.files, patient_id), fetched)


def readable_in(
    uow: RecordsWork,
    caller: Caller,
    patient_id: str,
    kind: RecordKind,
    *,
    shared: bool = True,
    also: Also = (),
) -> Access:
    """Read the patient's file (with `also`, in the same round trip) and the caller's relation; 404 unless they
    may read this kind of record."""
    access = _access_in(uow, caller, patient_id, also)
    check_read(access.relation, access.file, kind, shared=shared)
    crypto.use_fetched_keys(uow, access.fetched, [patient_id])
    return access


def writable_in(uow: RecordsWork, caller: Caller, patient_id: str, kind: RecordKind, *, also: Also = ()) -> Access:
    """`readable_in` for a write: 404 for who may not read it, 403 RECORDS_READ_ONLY for who may only read it."""
    access = _access_in(uow, caller, patient_id, also)
    check_write(access.relation, access.file, kind)
    crypto.use_fetched_keys(uow, access.fetched, [patient_id])
    return access


def audit_in(
    uow: RecordsWork,
    caller: Caller,
    relation: Relation,
    patient_id: str,
    kind: RecordKind,
    record_id: str,
    action: AuditAction,
) -> None:
    """Append an access record (ids only) with the unit's writes."""
    record = AccessAuditRecord(
        id=str(uuid.uuid4()),
        actor_id=caller.user.id,
        role=access_role(relation),
        patient_id=patient_id,
        record_kind=kind,
        record_id=record_id,
        action=action,
        at=utcnow(),
        request_id=current_request_id(),
    )
    uow.audit.create(record.id, record)


def touch_file_in(uow: RecordsWork, patient_id: str, file: PatientFileRecord | None) -> None:
    """Note a write to the patient's records (the retention period runs from the last one)."""
    now = utcnow()
    if file is None:
        uow.files.create(patient_id, PatientFileRecord(patient_id=patient_id, last_record_at=now))
    else:
        uow.files.change(patient_id, last_record_at=now)


def access_log(caller: Caller, patient_id: str, query: AccessLogQuery) -> AccessLogPage:
    """Who read or wrote what of the patient's records, newest first: for the patient and practice admins."""
    if caller.user.id != patient_id and not caller.is_practice_admin:
        raise errors.RECORD_NOT_FOUND.error()
    after = cursors.decode(query.cursor, cursors.AfterTimeAndId)
    with RecordsWork() as uow:
        found = uow.audit.page_of(patient_id, after, query.limit + 1)
    page = found[: query.limit]
    more = len(found) > query.limit
    next_cursor = cursors.encode(cursors.AfterTimeAndId(at=page[-1].at, id=page[-1].id)) if more else None
    return AccessLogPage(
        items=[AccessLogEntry.model_validate(item.model_dump()) for item in page], next_cursor=next_cursor
    )
