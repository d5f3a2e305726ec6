"""What the records area shows callers: intake forms, diagnoses, treatment plans, session notes, the access log
and exports. Texts are plaintext here: only the repository's stored models hold them sealed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from bloom.core.models import CamelModel, RequestModel
from bloom.platform.cursors import Cursor

PAGE_MAX = 100
ShortText = Annotated[str, Field(max_length=500)]
LongText = Annotated[str, Field(max_length=20000)]
Id = Annotated[str, Field(min_length=1, max_length=128)]
# ICD-10-CM: a letter, a digit, an alphanumeric, then optionally a dot and up to 4 more alphanumerics.
IcdCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")]

DiagnosisStatus = Literal["provisional", "confirmed", "resolved"]
GoalStatus = Literal["not_started", "in_progress", "achieved", "discontinued"]
NoteFormat = Literal["soap", "dap", "free"]
NoteStatus = Literal["draft", "signed"]
RecordKind = Literal["intake", "diagnosis", "treatment_plan", "session_note", "access_log", "export"]
AuditAction = Literal["read", "create", "update", "sign", "amend", "export"]
AccessRole = Literal["patient", "therapist", "practice_admin"]
ExportStatus = Literal["pending", "ready", "failed"]


# ---------------------------------------------------------------- intake


class RiskAnswers(CamelModel):
    self_harm: bool = False
    harm_to_others: bool = False
    notes: LongText = ""


class EmergencyContact(CamelModel):
    name: ShortText = ""
    phone: Annotated[str, Field(max_length=40)] = ""


class IntakeAnswers(CamelModel):
    presenting_concerns: LongText = ""
    history: LongText = ""
    medications: LongText = ""
    risk: RiskAnswers = RiskAnswers()
    emergency_contact: EmergencyContact = EmergencyContact()


class SubmitIntake(RequestModel):
    answers: IntakeAnswers


class IntakeForm(CamelModel):
    id: str
    patient_id: str
    answers: IntakeAnswers
    submitted_at: datetime
    updated_at: datetime


# ---------------------------------------------------------------- diagnoses


class CreateDiagnosis(RequestModel):
    code: IcdCode
    description: Annotated[str, Field(min_length=1, max_length=2000)]
    status: DiagnosisStatus = "provisional"
    onset_date: date | None = None


class UpdateDiagnosis(RequestModel):
    code: IcdCode | None = None
    description: Annotated[str, Field(min_length=1, max_length=2000)] | None = None
    status: DiagnosisStatus | None = None
    onset_date: date | None = None


class Diagnosis(CamelModel):
    id: str
    patient_id: str
    code: str
    description: str
    status: DiagnosisStatus
    onset_date: date | None
    recorded_by: str
    recorded_at: datetime


# ---------------------------------------------------------------- treatment plans


class GoalIn(CamelModel):
    id: Id | None = None
    text: Annotated[str, Field(min_length=1, max_length=2000)]
    objectives: Annotated[list[Annotated[str, Field(max_length=2000)]], Field(max_length=50)] = []
    interventions: Annotated[list[Annotated[str, Field(max_length=2000)]], Field(max_length=50)] = []
    target_date: date | None = None
    status: GoalStatus = "not_started"


class Goal(GoalIn):
    id: str


class SaveTreatmentPlan(RequestModel):
    goals: Annotated[list[GoalIn], Field(max_length=50)]
    review_date: date | None = None


class PlanQuery(RequestModel):
    version: Annotated[int, Field(ge=1)] | None = None


class TreatmentPlan(CamelModel):
    id: str
    patient_id: str
    goals: list[Goal]
    review_date: date | None
    version: int
    updated_by: str
    updated_at: datetime


# ---------------------------------------------------------------- session notes


class SoapBody(CamelModel):
    subjective: LongText = ""
    objective: LongText = ""
    assessment: LongText = ""
    plan: LongText = ""


class DapBody(CamelModel):
    data: LongText = ""
    assessment: LongText = ""
    plan: LongText = ""


class FreeBody(CamelModel):
    text: LongText = ""


NoteBody = SoapBody | DapBody | FreeBody
NOTE_BODIES: dict[str, type[SoapBody | DapBody | FreeBody]] = {"soap": SoapBody, "dap": DapBody, "free": FreeBody}


class CreateNote(RequestModel):
    format: NoteFormat
    body: dict[str, str]  # checked against the format's fields (NOTE_FORMAT_MISMATCH)
    appointment_id: Id | None = None
    shared: bool = False


class UpdateNote(RequestModel):
    body: dict[str, str] | None = None
    shared: bool | None = None
    appointment_id: Id | None = None


class AddAmendment(RequestModel):
    text: Annotated[str, Field(min_length=1, max_length=20000)]
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class Amendment(CamelModel):
    id: str
    text: str
    reason: str
    by: str
    at: datetime


class SessionNote(CamelModel):
    id: str
    patient_id: str
    therapist_id: str
    appointment_id: str | None
    format: NoteFormat
    body: dict[str, str]
    shared: bool
    status: NoteStatus
    signed_at: datetime | None
    amendments: list[Amendment]
    created_at: datetime
    updated_at: datetime


class NotesQuery(RequestModel):
    cursor: Cursor | None = None
    limit: Annotated[int, Field(ge=1, le=PAGE_MAX)] = 20


class NotePage(CamelModel):
    items: list[SessionNote]
    next_cursor: str | None


# ---------------------------------------------------------------- access log, export


class AccessLogEntry(CamelModel):
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


class AccessLogQuery(RequestModel):
    cursor: Cursor | None = None
    limit: Annotated[int, Field(ge=1, le=PAGE_MAX)] = 50


class AccessLogPage(CamelModel):
    items: list[AccessLogEntry]
    next_cursor: str | None


class ExportJob(CamelModel):
    id: str
    status: ExportStatus


class ExportState(CamelModel):
    status: ExportStatus
    url: str | None = None
