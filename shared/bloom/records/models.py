"""The records area's stored documents and the rules that need no I/O: who may read and write what, note formats
and states, retention. Personal texts are stored sealed (`bloom.platform.crypto`): a `*_sealed` field holds the
ciphertext of the JSON of the texts it replaces, with `sealed_where(...)` (its document path and field) as
associated data."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from bloom.core.models import CamelModel
from bloom.records.schemas import (
    NOTE_BODIES,
    AccessRole,
    AuditAction,
    DiagnosisStatus,
    NoteFormat,
    NoteStatus,
    RecordKind,
)

Relation = Literal["patient", "therapist", "former_therapist", "practice_admin", "outsider"]
"""How the caller stands to a patient's records: the patient, their active therapist, a therapist whose assignment
ended (read-only), a practice admin, or anyone else (404 for everything)."""

PATIENT_READABLE: frozenset[RecordKind] = frozenset({"intake", "diagnosis", "treatment_plan", "session_note"})


def sealed_where(collection: str, doc_id: str, field: str) -> str:
    """The associated data of a sealed field: where it is stored, so a copy elsewhere does not open."""
    return f"{collection}/{doc_id}/{field}"


def may_read(relation: Relation, kind: RecordKind, *, shared: bool = True) -> bool:
    """The care team reads everything; the patient their intake, plan, diagnoses and the notes shared with them."""
    if relation == "outsider":
        return False
    if relation == "patient":
        return kind in PATIENT_READABLE and (kind != "session_note" or shared)
    return True


def may_write(relation: Relation, kind: RecordKind) -> bool:
    """The patient writes their intake form; the active therapist writes diagnoses, plans and notes."""
    if kind == "intake":
        return relation == "patient"
    return relation == "therapist"


def access_role(relation: Relation) -> AccessRole:
    """What the access log records as the actor's role."""
    if relation == "patient":
        return "patient"
    if relation == "practice_admin":
        return "practice_admin"
    return "therapist"


def note_body(format: NoteFormat, body: dict[str, str]) -> dict[str, str] | None:
    """The body with every field of its format (missing ones empty); None when it names a field the format lacks."""
    model = NOTE_BODIES[format]
    if not set(body) <= set(model.model_fields):
        return None
    return model.model_validate(body).model_dump()


def retention_ends(last_record_at: datetime, years: int) -> datetime:
    """When records last written at `last_record_at` may be deleted (29 February reads as 28 February)."""
    # A plain datetime: Firestore's subclass (with nanoseconds) cannot be stored again once `replace`d.
    moment = datetime.combine(last_record_at.date(), last_record_at.timetz())
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


# ---------------------------------------------------------------- stored documents


class PatientFileRecord(CamelModel):
    """`patientFiles/{patientId}`: the state of a patient's records as a whole (erasure, retention)."""

    patient_id: str
    last_record_at: datetime
    erased_at: datetime | None = None
    purge_after: datetime | None = None
    purged_at: datetime | None = None


class IntakeRecord(CamelModel):
    """`intakeForms/{patientId}`."""

    id: str
    patient_id: str
    answers_sealed: str
    submitted_at: datetime
    updated_at: datetime


class DiagnosisRecord(CamelModel):
    """`diagnoses/{id}`: code, description and onset date sealed together."""

    id: str
    patient_id: str
    content_sealed: str
    status: DiagnosisStatus
    recorded_by: str
    recorded_at: datetime


class PlanRecord(CamelModel):
    """`treatmentPlans/{patientId}` (the latest) and `treatmentPlanVersions/{patientId}_{version:06d}` (each)."""

    id: str
    patient_id: str
    content_sealed: str  # goals and review date
    version: int
    updated_by: str
    updated_at: datetime


class AmendmentRecord(CamelModel):
    id: str
    content_sealed: str  # text and reason
    by: str
    at: datetime


class NoteRecord(CamelModel):
    """`sessionNotes/{id}`."""

    id: str
    patient_id: str
    therapist_id: str  # the author's therapist profile id
    author_id: str  # the author's user id
    appointment_id: str | None
    format: NoteFormat
    body_sealed: str
    shared: bool
    status: NoteStatus
    signed_at: datetime | None
    amendments: list[AmendmentRecord]
    created_at: datetime
    updated_at: datetime


class AccessAuditRecord(CamelModel):
    """`accessAudit/{id}`: append-only, ids only (it outlives the records it names)."""

    id: str
    actor_id: str
    role: AccessRole
    patient_id: str
    record_kind: RecordKind
    record_id: str
    action: AuditAction
    at: datetime
    request_id: str | None
    purpose: str | None = None


class ExportRecord(CamelModel):
    """`recordExports/{id}`: a patient's export job and, once ready, the private object holding its bundle."""

    id: str
    patient_id: str
    status: Literal["pending", "ready", "failed"]
    object_name: str | None = None
    created_at: datetime
    finished_at: datetime | None = None
