"""Private files of the practice: signed upload URLs, the check of what landed, signed download URLs, erasure."""

from __future__ import annotations

from bloom.api import HttpContext, http_function
from bloom.files import errors
from bloom.files import service as files
from bloom.files.events import UPLOAD_OBJECT_FINALIZED
from bloom.files.schemas import CreateUpload, DownloadLink, StorageObjectFinalized, UploadOut, UploadTicket
from bloom.platform.events import Event
from bloom.platform.http import Empty
from bloom.platform.registry import Capability, Role, Sdk
from bloom.platform.subscriber import event_function
from bloom.users.events import USER_DELETED, UserDeleted

TAGS = ("practice-files",)
STORE = (Capability.UPLOADS_BUCKET,)


@http_function(
    "POST",
    "/api/v1/practice/uploads",
    role=Role.USER,
    body=CreateUpload,
    response=UploadTicket,
    summary="Start an upload: a signed PUT URL (10 minutes) bound to the declared type and size; PDF, PNG, JPEG, "
    "plain text or DOCX up to 25 MB",
    sdks=(Sdk.STORAGE,),
    uses=(*STORE, Capability.SIGN_AS_SELF),
    rate_limit="30/hour per user",
    tags=TAGS,
)
def create_upload(ctx: HttpContext[CreateUpload, Empty]) -> UploadTicket:
    return files.create_upload(ctx.caller.user.id, ctx.body)


@http_function(
    "GET",
    "/api/v1/practice/uploads/{id}",
    role=Role.USER,
    response=UploadOut,
    summary="One of the caller's uploads, with its status (pending until its bytes are checked)",
    errors=(errors.UPLOAD_NOT_FOUND,),
    tags=TAGS,
)
def get_upload(ctx: HttpContext[Empty, Empty]) -> UploadOut:
    return files.get_upload(ctx.caller.user.id, ctx.path["id"])


@http_function(
    "GET",
    "/api/v1/practice/uploads/{id}/url",
    role=Role.USER,
    response=DownloadLink,
    summary="A signed download URL (5 minutes) for the upload's owner and the people it was shared with",
    errors=(errors.UPLOAD_NOT_FOUND, errors.UPLOAD_NOT_AVAILABLE),
    sdks=(Sdk.STORAGE,),
    uses=(*STORE, Capability.SIGN_AS_SELF),
    rate_limit="120/minute per user",
    tags=TAGS,
)
def get_upload_url(ctx: HttpContext[Empty, Empty]) -> DownloadLink:
    return files.download_link(ctx.caller.user.id, ctx.path["id"])


@event_function(
    UPLOAD_OBJECT_FINALIZED,
    summary="Check an upload's bytes (size, magic number): make it available, or delete it and reject it",
    sdks=(Sdk.STORAGE,),
    uses=STORE,
    memory_mb=512,
)
def finalize_upload(event: Event[StorageObjectFinalized]) -> None:
    files.finalize(event.payload)


@event_function(
    USER_DELETED, summary="Erase a deleted user's uploads (objects and records)", sdks=(Sdk.STORAGE,), uses=STORE
)
def erase_uploads_of_deleted_user(event: Event[UserDeleted]) -> None:
    files.erase_user_uploads(event.payload.user_id)
