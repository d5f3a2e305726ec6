"""Clinical records: intake forms, diagnoses, treatment plans, session notes, the access log, exports.

Every route is the care team's or the patient's (`bloom.records.access`): anyone else gets 404. Each declares
`Capability.CLINICAL_KEYS`: the KMS grant to unwrap the patients' data keys, which no other function has.
"""

from __future__ import annotations

from bloom.api import HttpContext, http_function
from bloom.platform.cursors import INVALID_CURSOR
from bloom.platform.events import Event
from bloom.platform.http import Empty, Reply
from bloom.platform.registry import Capability, Role, Sdk
from bloom.platform.subscriber import event_function, scheduled_function
from bloom.platform.topics import ScheduledRun
from bloom.records import access, errors, retention
from bloom.records import service as records
from bloom.records.events import EXPORT_REQUESTED, ExportRequested
from bloom.records.schemas import (
    AccessLogPage,
    AccessLogQuery,
    AddAmendment,
    CreateDiagnosis,
    CreateNote,
    Diagnosis,
    ExportJob,
    ExportState,
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
from bloom.users.events import USER_DELETED, UserDeleted

TAGS = ("records",)
BASE = "/api/v1/practice"
PATIENT = f"{BASE}/patients/{{patient_id}}"
NOTE = f"{BASE}/notes/{{note_id}}"
KEYS = (Capability.CLINICAL_KEYS,)
WRITE_ERRORS = (errors.RECORD_NOT_FOUND, errors.RECORDS_READ_ONLY)


@http_function(
    "PUT",
    f"{PATIENT}/intake",
    role=Role.PRACTICE_USER,
    body=SubmitIntake,
    response=IntakeForm,
    summary="The patient submits or updates their intake form (encrypted, audited)",
    errors=WRITE_ERRORS,
    uses=KEYS,
    tags=TAGS,
)
def submit_intake(ctx: HttpContext[SubmitIntake, Empty]) -> IntakeForm:
    return records.submit_intake(ctx.caller, ctx.path["patient_id"], ctx.body)


@http_function(
    "GET",
    f"{PATIENT}/intake",
    role=Role.PRACTICE_USER,
    response=IntakeForm,
    summary="The patient's intake form (the patient and their care team; audited)",
    errors=(errors.RECORD_NOT_FOUND,),
    uses=KEYS,
    tags=TAGS,
)
def get_intake(ctx: HttpContext[Empty, Empty]) -> IntakeForm:
    return records.get_intake(ctx.caller, ctx.path["patient_id"])


@http_function(
    "POST",
    f"{PATIENT}/diagnoses",
    role=Role.PRACTICE_USER,
    body=CreateDiagnosis,
    response=Diagnosis,
    summary="The assigned therapist records a diagnosis (ICD-10-CM code)",
    errors=WRITE_ERRORS,
    uses=KEYS,
    tags=TAGS,
)
def create_diagnosis(ctx: HttpContext[CreateDiagnosis, Empty]) -> Diagnosis:
    return records.create_diagnosis(ctx.caller, ctx.path["patient_id"], ctx.body)


@http_function(
    "PATCH",
    f"{PATIENT}/diagnoses/{{diagnosis_id}}",
    role=Role.PRACTICE_USER,
    body=UpdateDiagnosis,
    response=Diagnosis,
    summary="The assigned therapist changes a diagnosis (code, description, status, onset)",
    errors=WRITE_ERRORS,
    uses=KEYS,
    tags=TAGS,
)
def update_diagnosis(ctx: HttpContext[UpdateDiagnosis, Empty]) -> Diagnosis:
    return records.update_diagnosis(ctx.caller, ctx.path["patient_id"], ctx.path["diagnosis_id"], ctx.body)


@http_function(
    "GET",
    f"{PATIENT}/diagnoses",
    role=Role.PRACTICE_USER,
    response=list[Diagnosis],
    summary="The patient's diagnoses (the patient and their care team; audited)",
    errors=(errors.RECORD_NOT_FOUND,),
    uses=KEYS,
    tags=TAGS,
)
def list_diagnoses(ctx: HttpContext[Empty, Empty]) -> list[Diagnosis]:
    return records.list_diagnoses(ctx.caller, ctx.path["patient_id"])


@http_function(
    "PUT",
    f"{PATIENT}/treatment-plan",
    role=Role.PRACTICE_USER,
    body=SaveTreatmentPlan,
    response=TreatmentPlan,
    summary="The assigned therapist saves the treatment plan: a new version, earlier ones kept",
    errors=WRITE_ERRORS,
    uses=KEYS,
    tags=TAGS,
)
def save_treatment_plan(ctx: HttpContext[SaveTreatmentPlan, Empty]) -> TreatmentPlan:
    return records.save_plan(ctx.caller, ctx.path["patient_id"], ctx.body)


@http_function(
    "GET",
    f"{PATIENT}/treatment-plan",
    role=Role.PRACTICE_USER,
    query=PlanQuery,
    response=TreatmentPlan,
    summary="The treatment plan's latest version, or `?version=` (the patient and their care team; audited)",
    errors=(errors.RECORD_NOT_FOUND,),
    uses=KEYS,
    tags=TAGS,
)
def get_treatment_plan(ctx: HttpContext[Empty, PlanQuery]) -> TreatmentPlan:
    return records.get_plan(ctx.caller, ctx.path["patient_id"], ctx.query)


@http_function(
    "POST",
    f"{PATIENT}/notes",
    role=Role.PRACTICE_USER,
    body=CreateNote,
    response=SessionNote,
    summary="The assigned therapist writes a session note (SOAP, DAP or free; a draft until signed)",
    errors=(*WRITE_ERRORS, errors.NOTE_FORMAT_MISMATCH),
    uses=KEYS,
    tags=TAGS,
)
def create_note(ctx: HttpContext[CreateNote, Empty]) -> SessionNote:
    return records.create_note(ctx.caller, ctx.path["patient_id"], ctx.body)


@http_function(
    "GET",
    f"{PATIENT}/notes",
    role=Role.PRACTICE_USER,
    query=NotesQuery,
    response=NotePage,
    summary="The patient's session notes, newest first (the care team: all; the patient: those shared; audited)",
    errors=(errors.RECORD_NOT_FOUND, INVALID_CURSOR),
    uses=KEYS,
    tags=TAGS,
)
def list_notes(ctx: HttpContext[Empty, NotesQuery]) -> NotePage:
    return records.list_notes(ctx.caller, ctx.path["patient_id"], ctx.query)


@http_function(
    "GET",
    NOTE,
    role=Role.PRACTICE_USER,
    response=SessionNote,
    summary="A session note (the care team; the patient if it is shared with them; audited)",
    errors=(errors.RECORD_NOT_FOUND,),
    uses=KEYS,
    tags=TAGS,
)
def get_note(ctx: HttpContext[Empty, Empty]) -> SessionNote:
    return records.get_note(ctx.caller, ctx.path["note_id"])


@http_function(
    "PATCH",
    NOTE,
    role=Role.PRACTICE_USER,
    body=UpdateNote,
    response=SessionNote,
    summary="Its author changes a draft note; a signed note is locked (409 NOTE_SIGNED)",
    errors=(*WRITE_ERRORS, errors.NOTE_SIGNED, errors.NOTE_FORMAT_MISMATCH),
    uses=KEYS,
    tags=TAGS,
)
def update_note(ctx: HttpContext[UpdateNote, Empty]) -> SessionNote:
    return records.update_note(ctx.caller, ctx.path["note_id"], ctx.body)


@http_function(
    "POST",
    f"{NOTE}/sign",
    role=Role.PRACTICE_USER,
    response=SessionNote,
    summary="Its author signs a draft note, which locks it",
    errors=(*WRITE_ERRORS, errors.NOTE_SIGNED),
    uses=KEYS,
    tags=TAGS,
)
def sign_note(ctx: HttpContext[Empty, Empty]) -> SessionNote:
    return records.sign_note(ctx.caller, ctx.path["note_id"])


@http_function(
    "POST",
    f"{NOTE}/amendments",
    role=Role.PRACTICE_USER,
    body=AddAmendment,
    response=SessionNote,
    summary="Its author appends an amendment to a signed note (append-only)",
    errors=(*WRITE_ERRORS, errors.NOTE_NOT_SIGNED),
    uses=KEYS,
    tags=TAGS,
)
def amend_note(ctx: HttpContext[AddAmendment, Empty]) -> SessionNote:
    return records.amend_note(ctx.caller, ctx.path["note_id"], ctx.body)


@http_function(
    "GET",
    f"{PATIENT}/access-log",
    role=Role.PRACTICE_USER,
    query=AccessLogQuery,
    response=AccessLogPage,
    summary="Who read or wrote what of the patient's records, and when (that patient or a practice admin)",
    errors=(errors.RECORD_NOT_FOUND, INVALID_CURSOR),
    tags=TAGS,
)
def get_access_log(ctx: HttpContext[Empty, AccessLogQuery]) -> AccessLogPage:
    return access.access_log(ctx.caller, ctx.path["patient_id"], ctx.query)


@event_function(
    USER_DELETED,
    summary="Close an erased patient's clinical records (unreadable now, kept for retention); delete their exports",
    sdks=(Sdk.STORAGE,),
    uses=(Capability.UPLOADS_BUCKET,),
)
def erase_records_of_deleted_user(event: Event[UserDeleted]) -> None:
    from bloom.records import export  # messaging, files and scheduling: only the export routes load them

    retention.erase_patient_records(event.payload.user_id)
    export.delete_exports_of(event.payload.user_id)


@scheduled_function(
    "17 3 * * *",
    summary="Delete erased patients' records whose retention period ended and destroy their data keys",
)
def purge_expired_records(run: Event[ScheduledRun]) -> None:
    retention.purge_expired_records(run.payload.moment())


@http_function(
    "POST",
    f"{BASE}/patients/me/export",
    role=Role.PRACTICE_USER,
    response=ExportJob,
    summary="Export everything the caller may read of their records and messages: a job (202), audited",
    emits=(EXPORT_REQUESTED,),
    sdks=(Sdk.PUBSUB,),
    rate_limit="5/hour per user",
    status=202,
    tags=TAGS,
)
def request_export(ctx: HttpContext[Empty, Empty]) -> Reply:
    from bloom.records import export  # messaging, files and scheduling: only the export routes load them

    job = export.request_export(ctx.caller)
    return Reply(202, job.model_dump(by_alias=True))


@http_function(
    "GET",
    f"{BASE}/patients/me/export/{{export_id}}",
    role=Role.PRACTICE_USER,
    response=ExportState,
    summary="The caller's export: its status and, once ready, a signed URL of the JSON bundle (5 minutes)",
    errors=(errors.EXPORT_NOT_FOUND,),
    sdks=(Sdk.STORAGE,),
    uses=(Capability.UPLOADS_BUCKET, Capability.SIGN_AS_SELF),
    tags=TAGS,
)
def get_export(ctx: HttpContext[Empty, Empty]) -> ExportState:
    from bloom.records import export  # messaging, files and scheduling: only the export routes load them

    return export.export_state(ctx.caller, ctx.path["export_id"])


@event_function(
    EXPORT_REQUESTED,
    summary="Build a patient's records export and store the JSON bundle in the private bucket",
    sdks=(Sdk.STORAGE,),
    uses=(*KEYS, Capability.UPLOADS_BUCKET),
    timeout_s=300,
    memory_mb=512,
)
def build_records_export(event: Event[ExportRequested]) -> None:
    from bloom.records import export  # messaging, files and scheduling: only the export routes load them

    export.build_export(event.payload)
