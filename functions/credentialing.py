"""Credentialing over HTTP: a therapist's documents and applications (checklists, submission), the practice
admins' review of applications; the daily follow-up and expiry job; erasure of a deleted user's credentials."""

from __future__ import annotations

from bloom.api import HttpContext, http_function
from bloom.credentialing import applications, documents, errors, reminders
from bloom.credentialing.events import APPLICATION_STATUS_CHANGED
from bloom.credentialing.schemas import (
    Application,
    ApplicationList,
    ApplicationQuery,
    CreateApplication,
    CreateDocument,
    Document,
    DocumentList,
    UpdateApplication,
)
from bloom.files import errors as file_errors
from bloom.platform.events import Event
from bloom.platform.http import Empty
from bloom.platform.registry import Role, Sdk
from bloom.platform.subscriber import event_function, scheduled_function
from bloom.platform.topics import ScheduledRun
from bloom.practice import errors as practice_errors
from bloom.users.events import USER_DELETED, UserDeleted

TAGS = ("credentialing",)
BASE = "/api/v1/practice/credentialing"
DOCUMENTS = f"{BASE}/documents"
APPLICATIONS = f"{BASE}/applications"


@http_function(
    "POST",
    DOCUMENTS,
    role=Role.THERAPIST,
    body=CreateDocument,
    response=Document,
    summary="Put one of the caller's checked uploads on file as a credential (kind, number, issuer, expiry)",
    errors=(file_errors.UPLOAD_NOT_FOUND, file_errors.UPLOAD_NOT_AVAILABLE),
    tags=TAGS,
)
def add_credentialing_document(ctx: HttpContext[CreateDocument, Empty]) -> Document:
    return documents.add_document(ctx.caller, ctx.body)


@http_function(
    "GET",
    DOCUMENTS,
    role=Role.THERAPIST,
    response=DocumentList,
    summary="The caller's credential documents, newest first",
    tags=TAGS,
)
def list_credentialing_documents(ctx: HttpContext[Empty, Empty]) -> DocumentList:
    return documents.list_documents(ctx.caller)


@http_function(
    "GET",
    f"{DOCUMENTS}/{{document_id}}",
    role=Role.THERAPIST,
    response=Document,
    summary="One of the caller's credential documents",
    errors=(errors.DOCUMENT_NOT_FOUND,),
    tags=TAGS,
)
def get_credentialing_document(ctx: HttpContext[Empty, Empty]) -> Document:
    return documents.get_document(ctx.caller, ctx.path["document_id"])


@http_function(
    "DELETE",
    f"{DOCUMENTS}/{{document_id}}",
    role=Role.THERAPIST,
    response=Document,
    summary="Take a credential document off file (its upload stays the caller's)",
    errors=(errors.DOCUMENT_NOT_FOUND,),
    tags=TAGS,
)
def delete_credentialing_document(ctx: HttpContext[Empty, Empty]) -> Document:
    return documents.delete_document(ctx.caller, ctx.path["document_id"])


@http_function(
    "POST",
    APPLICATIONS,
    role=Role.THERAPIST,
    body=CreateApplication,
    response=Application,
    summary="Apply to a payer in a state: a draft whose checklist matches the requirements to the caller's documents",
    errors=(
        practice_errors.THERAPIST_NOT_FOUND,
        errors.NO_REQUIREMENTS_KNOWN,
        errors.APPLICATION_ALREADY_OPEN,
    ),
    sdks=(Sdk.REQUESTS, Sdk.PUBSUB),  # the requirements' extraction may call OpenAI
    emits=(APPLICATION_STATUS_CHANGED,),
    rate_limit="20/minute per user",  # each reads the requirements (a vector search, maybe an LLM call)
    tags=TAGS,
)
def create_credentialing_application(ctx: HttpContext[CreateApplication, Empty]) -> Application:
    return applications.create_application(ctx.caller, ctx.body)


@http_function(
    "GET",
    APPLICATIONS,
    role=Role.PRACTICE_STAFF,
    query=ApplicationQuery,
    response=ApplicationList,
    summary="Credentialing applications: a therapist's own; a practice admin's, every therapist's (newest 200)",
    tags=TAGS,
)
def list_credentialing_applications(ctx: HttpContext[Empty, ApplicationQuery]) -> ApplicationList:
    return applications.list_applications(ctx.caller, ctx.query.status)


@http_function(
    "GET",
    f"{APPLICATIONS}/{{application_id}}",
    role=Role.PRACTICE_STAFF,
    response=Application,
    summary="A credentialing application (its therapist or a practice admin)",
    errors=(errors.APPLICATION_NOT_FOUND,),
    tags=TAGS,
)
def get_credentialing_application(ctx: HttpContext[Empty, Empty]) -> Application:
    return applications.get_application(ctx.caller, ctx.path["application_id"])


@http_function(
    "POST",
    f"{APPLICATIONS}/{{application_id}}/submit",
    role=Role.THERAPIST,
    response=Application,
    summary="Submit the caller's draft: each requirement met by an unexpired document, else 409 naming what is missing",
    errors=(errors.APPLICATION_NOT_FOUND, errors.APPLICATION_NOT_DRAFT, errors.APPLICATION_INCOMPLETE),
    sdks=(Sdk.PUBSUB,),
    emits=(APPLICATION_STATUS_CHANGED,),
    tags=TAGS,
)
def submit_credentialing_application(ctx: HttpContext[Empty, Empty]) -> Application:
    return applications.submit_application(ctx.caller, ctx.path["application_id"])


@http_function(
    "PATCH",
    f"{APPLICATIONS}/{{application_id}}",
    role=Role.PRACTICE_ADMIN,
    body=UpdateApplication,
    response=Application,
    summary="Review an application: a legal status change and/or its follow-up, decision and expiry days, with a note",
    errors=(errors.APPLICATION_NOT_FOUND, errors.ILLEGAL_STATUS_CHANGE),
    sdks=(Sdk.PUBSUB,),
    emits=(APPLICATION_STATUS_CHANGED,),
    tags=TAGS,
)
def update_credentialing_application(ctx: HttpContext[UpdateApplication, Empty]) -> Application:
    return applications.update_application(ctx.caller, ctx.path["application_id"], ctx.body)


@scheduled_function(
    "0 7 * * *",
    summary="Credentialing notices (follow-ups due; documents and approvals expiring in 60/30/7 days, each once) "
    "and approvals past their expiry marked expired",
    sdks=(Sdk.PUBSUB,),
    emits=(APPLICATION_STATUS_CHANGED,),
)
def credentialing_daily(run: Event[ScheduledRun]) -> None:
    reminders.run_daily(run.payload.moment())


@event_function(USER_DELETED, summary="Erase a deleted user's credential documents and applications")
def erase_credentials_of_deleted_user(event: Event[UserDeleted]) -> None:
    documents.erase_credentials_of(event.payload.user_id)
