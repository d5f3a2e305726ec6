"""The records area's use cases: intake forms, diagnoses, treatment plans (versioned) and session notes (draft →
signed, then append-only amendments), each read and write checked against the care team and audited
(`bloom.records.access`), every personal text sealed under the patient's data key (`bloom.platform.crypto`).

A write runs in a transaction: its reads first (the record and the patient's file, the caller's care relation,
then the data key, whose first use creates it), then the record, the file's `lastRecordAt` and the audit. A read
appends its audit with the unit's commit, before anything is returned.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.platform import crypto, cursors
from bloom.records import errors
from bloom.records.access import Access, audit_in, check_write, readable_in, touch_file_in, writable_in
from bloom.records.models import (
    AmendmentRecord,
    DiagnosisRecord,
    IntakeRecord,
    NoteRecord,
    PlanRecord,
    note_body,
    sealed_where,
)
from bloom.records.repository import PlansRepository, PlanVersionsRepository, RecordsWork
from bloom.records.schemas import (
    AddAmendment,
    Amendment,
    AuditAction,
    CreateDiagnosis,
    CreateNote,
    Diagnosis,
    Goal,
    IntakeAnswers,
    IntakeForm,
    NotePage,
    NotesQuery,
    PlanQuery,
    SaveTreatmentPlan,
    SessionNote,
    SubmitIntake,
    TreatmentPlan,
    UpdateDiagnosis,
    UpdateNote,
)
from bloom.search import service as search
from bloom.search.schemas import IndexedRecord, ReaderView, care_scope
from bloom.users.schemas import Caller

_log = get_logger(__name__)


def _seal(sealer: crypto.Sealer, collection: str, doc_id: str, field: str, content: Any) -> str:
    return sealer.seal(json.dumps(content, default=str), sealed_where(collection, doc_id, field))


def _open(sealer: crypto.Sealer, collection: str, doc_id: str, field: str, sealed: str) -> Any:
    return json.loads(sealer.open(sealed, sealed_where(collection, doc_id, field)))


# ---------------------------------------------------------------- intake


def submit_intake(caller: Caller, patient_id: str, body: SubmitIntake) -> IntakeForm:
    """The patient writes (or rewrites) their intake form."""

    def work(uow: RecordsWork) -> IntakeForm:
        access = writable_in(uow, caller, patient_id, "intake", also=[(uow.intakes, patient_id)])
        existing = access.fetched.get(uow.intakes, patient_id)
        sealer = crypto.sealer_in(uow, patient_id)
        now = utcnow()
        answers = body.answers.model_dump(mode="json")
        record = IntakeRecord(
            id=patient_id,
            patient_id=patient_id,
            answers_sealed=_seal(sealer, uow.intakes.collection_name, patient_id, "answers", answers),
            submitted_at=existing.submitted_at if existing is not None else now,
            updated_at=now,
        )
        uow.intakes.save(patient_id, record)
        touch_file_in(uow, patient_id, access.file)
        audit_in(uow, caller, access.relation, patient_id, "intake", patient_id, "update" if existing else "create")
        return _intake(record, body.answers)

    return RecordsWork.run_in_transaction(work)


def get_intake(caller: Caller, patient_id: str) -> IntakeForm:
    with RecordsWork() as uow:
        access = readable_in(uow, caller, patient_id, "intake", also=[(uow.intakes, patient_id)])
        record = access.fetched.get(uow.intakes, patient_id)
        if record is None:
            raise errors.RECORD_NOT_FOUND.error()
        sealer = crypto.sealer_in(uow, patient_id)
        answers = _open(sealer, uow.intakes.collection_name, patient_id, "answers", record.answers_sealed)
        audit_in(uow, caller, access.relation, patient_id, "intake", patient_id, "read")
    return _intake(record, IntakeAnswers.model_validate(answers))


def _intake(record: IntakeRecord, answers: IntakeAnswers) -> IntakeForm:
    return IntakeForm(
        id=record.id,
        patient_id=record.patient_id,
        answers=answers,
        submitted_at=record.submitted_at,
        updated_at=record.updated_at,
    )


# ---------------------------------------------------------------- diagnoses


def create_diagnosis(caller: Caller, patient_id: str, body: CreateDiagnosis) -> Diagnosis:
    def work(uow: RecordsWork) -> Diagnosis:
        access = writable_in(uow, caller, patient_id, "diagnosis")
        sealer = crypto.sealer_in(uow, patient_id)
        record_id = str(uuid.uuid4())
        content = {"code": body.code, "description": body.description, "onsetDate": body.onset_date}
        record = DiagnosisRecord(
            id=record_id,
            patient_id=patient_id,
            content_sealed=_seal(sealer, uow.diagnoses.collection_name, record_id, "content", content),
            status=body.status,
            recorded_by=caller.user.id,
            recorded_at=utcnow(),
        )
        uow.diagnoses.create(record_id, record)
        touch_file_in(uow, patient_id, access.file)
        audit_in(uow, caller, access.relation, patient_id, "diagnosis", record_id, "create")
        return _diagnosis(record, content)

    return RecordsWork.run_in_transaction(work)


def update_diagnosis(caller: Caller, patient_id: str, diagnosis_id: str, body: UpdateDiagnosis) -> Diagnosis:
    def work(uow: RecordsWork) -> Diagnosis:
        access = writable_in(uow, caller, patient_id, "diagnosis", also=[(uow.diagnoses, diagnosis_id)])
        record = access.fetched.get(uow.diagnoses, diagnosis_id)
        if record is None or record.patient_id != patient_id:
            raise errors.RECORD_NOT_FOUND.error()
        sealer = crypto.sealer_in(uow, patient_id)
        collection = uow.diagnoses.collection_name
        content = _open(sealer, collection, diagnosis_id, "content", record.content_sealed)
        changes = body.model_dump(exclude_unset=True, by_alias=True, mode="json")
        status = changes.pop("status", None) or record.status
        content.update(changes)
        sealed = _seal(sealer, collection, diagnosis_id, "content", content)
        uow.diagnoses.change(diagnosis_id, content_sealed=sealed, status=status)
        touch_file_in(uow, patient_id, access.file)
        audit_in(uow, caller, access.relation, patient_id, "diagnosis", diagnosis_id, "update")
        return _diagnosis(record.model_copy(update={"status": status}), content)

    return RecordsWork.run_in_transaction(work)


def list_diagnoses(caller: Caller, patient_id: str) -> list[Diagnosis]:
    with RecordsWork() as uow:
        access = readable_in(uow, caller, patient_id, "diagnosis")
        records = uow.diagnoses.of_patient(patient_id)
        if not records:
            return []
        sealer = crypto.sealer_in(uow, patient_id)
        collection = uow.diagnoses.collection_name
        found = [_diagnosis(r, _open(sealer, collection, r.id, "content", r.content_sealed)) for r in records]
        for record in records:
            audit_in(uow, caller, access.relation, patient_id, "diagnosis", record.id, "read")
    return found


def _diagnosis(record: DiagnosisRecord, content: dict[str, Any]) -> Diagnosis:
    return Diagnosis(
        id=record.id,
        patient_id=record.patient_id,
        code=content["code"],
        description=content["description"],
        status=record.status,
        onset_date=content.get("onsetDate"),
        recorded_by=record.recorded_by,
        recorded_at=record.recorded_at,
    )


# ---------------------------------------------------------------- treatment plans


def save_plan(caller: Caller, patient_id: str, body: SaveTreatmentPlan) -> TreatmentPlan:
    """Each save is a new version; every earlier one is kept."""

    def work(uow: RecordsWork) -> TreatmentPlan:
        access = writable_in(uow, caller, patient_id, "treatment_plan", also=[(uow.plans, patient_id)])
        latest = access.fetched.get(uow.plans, patient_id)
        sealer = crypto.sealer_in(uow, patient_id)
        version = (latest.version if latest is not None else 0) + 1
        goals = [Goal.model_validate({**g.model_dump(), "id": g.id or str(uuid.uuid4())}) for g in body.goals]
        content = {
            "goals": [goal.model_dump(by_alias=True, mode="json") for goal in goals],
            "reviewDate": body.review_date,
        }
        version_id = uow.plan_versions.version_id(patient_id, version)
        now = utcnow()
        for repo, doc_id in ((uow.plans, patient_id), (uow.plan_versions, version_id)):
            record = PlanRecord(
                id=patient_id,
                patient_id=patient_id,
                content_sealed=_seal(sealer, repo.collection_name, doc_id, "content", content),
                version=version,
                updated_by=caller.user.id,
                updated_at=now,
            )
            repo.save(doc_id, record, new=repo is uow.plan_versions)
        touch_file_in(uow, patient_id, access.file)
        action: AuditAction = "update" if latest else "create"
        audit_in(uow, caller, access.relation, patient_id, "treatment_plan", version_id, action)
        return _plan(record, content)

    return RecordsWork.run_in_transaction(work)


def get_plan(caller: Caller, patient_id: str, query: PlanQuery) -> TreatmentPlan:
    """The latest version, or `?version=` of the kept ones."""
    with RecordsWork() as uow:
        repo: PlansRepository | PlanVersionsRepository = uow.plans
        doc_id = patient_id
        if query.version is not None:
            repo, doc_id = uow.plan_versions, PlanVersionsRepository.version_id(patient_id, query.version)
        access = readable_in(uow, caller, patient_id, "treatment_plan", also=[(repo, doc_id)])
        record = access.fetched.get(repo, doc_id)
        if record is None:
            raise errors.RECORD_NOT_FOUND.error()
        sealer = crypto.sealer_in(uow, patient_id)
        content = _open(sealer, repo.collection_name, doc_id, "content", record.content_sealed)
        audit_id = PlanVersionsRepository.version_id(patient_id, record.version)
        audit_in(uow, caller, access.relation, patient_id, "treatment_plan", audit_id, "read")
    return _plan(record, content)


def _plan(record: PlanRecord, content: dict[str, Any]) -> TreatmentPlan:
    return TreatmentPlan(
        id=record.id,
        patient_id=record.patient_id,
        goals=[Goal.model_validate(goal) for goal in content["goals"]],
        review_date=content.get("reviewDate"),
        version=record.version,
        updated_by=record.updated_by,
        updated_at=record.updated_at,
    )


# ---------------------------------------------------------------- session notes


def create_note(caller: Caller, patient_id: str, body: CreateNote) -> SessionNote:
    text = note_body(body.format, body.body)
    if text is None:
        raise errors.NOTE_FORMAT_MISMATCH.error()

    def work(uow: RecordsWork) -> SessionNote:
        access = writable_in(uow, caller, patient_id, "session_note")
        sealer = crypto.sealer_in(uow, patient_id)
        note_id = str(uuid.uuid4())
        now = utcnow()
        record = NoteRecord(
            id=note_id,
            patient_id=patient_id,
            therapist_id=caller.user.therapist_profile_id or "",
            author_id=caller.user.id,
            appointment_id=body.appointment_id,
            format=body.format,
            body_sealed=_seal(sealer, uow.notes.collection_name, note_id, "body", text),
            shared=body.shared,
            status="draft",
            signed_at=None,
            amendments=[],
            created_at=now,
            updated_at=now,
        )
        uow.notes.create(note_id, record)
        touch_file_in(uow, patient_id, access.file)
        audit_in(uow, caller, access.relation, patient_id, "session_note", note_id, "create")
        return _searchable_in(uow, record, _note(record, text, []))

    return RecordsWork.run_in_transaction(work)


def _authored_note_in(uow: RecordsWork, caller: Caller, note_id: str) -> tuple[NoteRecord, Access]:
    """A note the caller may change (its author, still the patient's active therapist): 404 for who may not read
    it, 403 RECORDS_READ_ONLY for the rest of the care team."""
    record = uow.notes.get(note_id)
    if record is None:
        raise errors.RECORD_NOT_FOUND.error()
    access = readable_in(uow, caller, record.patient_id, "session_note", shared=record.shared)
    if record.author_id != caller.user.id:
        raise errors.RECORDS_READ_ONLY.error()
    check_write(access.relation, access.file, "session_note")
    return record, access


def update_note(caller: Caller, note_id: str, body: UpdateNote) -> SessionNote:
    """Change a draft (the body fields sent, sharing, appointment); a signed note is locked (409 NOTE_SIGNED)."""

    def work(uow: RecordsWork) -> SessionNote:
        record, access = _authored_note_in(uow, caller, note_id)
        if record.status == "signed":
            raise errors.NOTE_SIGNED.error()
        sealer = crypto.sealer_in(uow, record.patient_id)
        collection = uow.notes.collection_name
        text = _open(sealer, collection, note_id, "body", record.body_sealed)
        changes: dict[str, Any] = {"updated_at": utcnow()}
        if body.body is not None:
            text = note_body(record.format, {**text, **body.body})  # the fields sent replace those
            if text is None:
                raise errors.NOTE_FORMAT_MISMATCH.error()
            changes["body_sealed"] = _seal(sealer, collection, note_id, "body", text)
        if body.shared is not None:
            changes["shared"] = body.shared
        if "appointment_id" in body.model_fields_set:
            changes["appointment_id"] = body.appointment_id
        uow.notes.change(note_id, **changes)
        touch_file_in(uow, record.patient_id, access.file)
        audit_in(uow, caller, access.relation, record.patient_id, "session_note", note_id, "update")
        return _searchable_in(uow, record, _note(record.model_copy(update=changes), text, []))

    return RecordsWork.run_in_transaction(work)


def sign_note(caller: Caller, note_id: str) -> SessionNote:
    """Sign and lock a draft: from now on it changes only by amendments."""

    def work(uow: RecordsWork) -> SessionNote:
        record, access = _authored_note_in(uow, caller, note_id)
        if record.status == "signed":
            raise errors.NOTE_SIGNED.error()
        sealer = crypto.sealer_in(uow, record.patient_id)
        now = utcnow()
        uow.notes.change(note_id, status="signed", signed_at=now, updated_at=now)
        touch_file_in(uow, record.patient_id, access.file)
        audit_in(uow, caller, access.relation, record.patient_id, "session_note", note_id, "sign")
        signed = record.model_copy(update={"status": "signed", "signed_at": now, "updated_at": now})
        return _opened_note(uow, sealer, signed)

    return RecordsWork.run_in_transaction(work)


def amend_note(caller: Caller, note_id: str, body: AddAmendment) -> SessionNote:
    """Append an amendment to a signed note (409 NOTE_NOT_SIGNED for a draft, which is edited instead)."""

    def work(uow: RecordsWork) -> SessionNote:
        record, access = _authored_note_in(uow, caller, note_id)
        if record.status != "signed":
            raise errors.NOTE_NOT_SIGNED.error()
        sealer = crypto.sealer_in(uow, record.patient_id)
        amendment_id = str(uuid.uuid4())
        content = {"text": body.text, "reason": body.reason}
        amendment = AmendmentRecord(
            id=amendment_id,
            content_sealed=_seal(sealer, uow.notes.collection_name, note_id, f"amendments/{amendment_id}", content),
            by=caller.user.id,
            at=utcnow(),
        )
        amendments = [*record.amendments, amendment]
        uow.notes.change(note_id, amendments=amendments, updated_at=amendment.at)
        touch_file_in(uow, record.patient_id, access.file)
        audit_in(uow, caller, access.relation, record.patient_id, "session_note", note_id, "amend")
        amended = _opened_note(
            uow, sealer, record.model_copy(update={"amendments": amendments, "updated_at": amendment.at})
        )
        return _searchable_in(uow, record, amended)

    return RecordsWork.run_in_transaction(work)


def get_note(caller: Caller, note_id: str) -> SessionNote:
    with RecordsWork() as uow:
        record = uow.notes.get(note_id)
        if record is None:
            raise errors.RECORD_NOT_FOUND.error()
        access = readable_in(uow, caller, record.patient_id, "session_note", shared=record.shared)
        sealer = crypto.sealer_in(uow, record.patient_id)
        note = _opened_note(uow, sealer, record)
        audit_in(uow, caller, access.relation, record.patient_id, "session_note", note_id, "read")
    return note


def list_notes(caller: Caller, patient_id: str, query: NotesQuery) -> NotePage:
    """The patient's notes, newest first: all of them for the care team, those shared with them for the patient."""
    after = cursors.decode(query.cursor, cursors.AfterTimeAndId)
    with RecordsWork() as uow:
        access = readable_in(uow, caller, patient_id, "session_note")
        shared_only = access.relation == "patient"
        found = uow.notes.page_of(patient_id, shared_only=shared_only, after=after, limit=query.limit + 1)
        page = found[: query.limit]
        if not page:
            return NotePage(items=[], next_cursor=None)
        sealer = crypto.sealer_in(uow, patient_id)
        notes = [_opened_note(uow, sealer, record) for record in page]
        for record in page:
            audit_in(uow, caller, access.relation, patient_id, "session_note", record.id, "read")
    more = len(found) > query.limit
    next_cursor = cursors.encode(cursors.AfterTimeAndId(at=page[-1].created_at, id=page[-1].id)) if more else None
    return NotePage(items=notes, next_cursor=next_cursor)


def _searchable_in(uow: RecordsWork, record: NoteRecord, note: SessionNote) -> SessionNote:
    """The note in search (`bloom.search`), with the unit's writes: its author finds it while caring for the
    patient, the patient while it is shared with them; body and amendments are its text."""
    text = "\n".join([*note.body.values(), *(amendment.text for amendment in note.amendments)])
    views = [ReaderView(reader_id=record.author_id, text=text, scope=care_scope(note.patient_id))]
    if note.shared:
        views.append(ReaderView(reader_id=note.patient_id, text=text, scope=None))
    else:
        search.remove_in(uow, "note", note.id, [note.patient_id])
    indexed = IndexedRecord(kind="note", record_id=note.id, at=note.updated_at, patient_id=note.patient_id, views=views)
    search.index_in(uow, indexed)
    return note


def _opened_note(uow: RecordsWork, sealer: crypto.Sealer, record: NoteRecord) -> SessionNote:
    collection = uow.notes.collection_name
    text = _open(sealer, collection, record.id, "body", record.body_sealed)
    amendments = []
    for item in record.amendments:
        content = _open(sealer, collection, record.id, f"amendments/{item.id}", item.content_sealed)
        amendments.append(Amendment(id=item.id, text=content["text"], reason=content["reason"], by=item.by, at=item.at))
    return _note(record, text, amendments)


def _note(record: NoteRecord, text: dict[str, str], amendments: list[Amendment]) -> SessionNote:
    return SessionNote(
        id=record.id,
        patient_id=record.patient_id,
        therapist_id=record.therapist_id,
        appointment_id=record.appointment_id,
        format=record.format,
        body=text,
        shared=record.shared,
        status=record.status,
        signed_at=record.signed_at,
        amendments=amendments,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )
