"""Private files: signed upload URLs, the finalize check on the real bytes, signed download URLs, attachments.

Ids. Uploads belong to the Bloom user id (`UserRecord.id`); readers are Bloom user ids too. Someone else's
upload id answers 404, whether it exists or not.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.files import errors
from bloom.files.backends import object_store
from bloom.files.models import (
    DOWNLOAD_URL_TTL,
    MEDIA_TYPES,
    UNCHECKED_RETENTION,
    UPLOAD_URL_TTL,
    UploadRecord,
    content_disposition,
    media_bytes_match,
    rejection_reason,
    upload_id_of,
)
from bloom.files.repository import FilesWork
from bloom.files.schemas import (
    Attachment,
    CreateUpload,
    DownloadLink,
    StorageObjectFinalized,
    UploadOut,
    UploadTicket,
)
from bloom.platform.store.unit_of_work import UnitOfWork

_log = get_logger(__name__)
ERASURE_BATCH = 200


def _out(record: UploadRecord) -> UploadOut:
    return UploadOut.model_validate(record.model_dump())


def create_upload(owner_id: str, body: CreateUpload) -> UploadTicket:
    """Record a pending upload and sign one PUT of exactly its declared size and type (≤ 10 minutes)."""
    now = utcnow()
    record = UploadRecord(
        id=uuid.uuid4().hex,
        owner_id=owner_id,
        purpose=body.purpose,
        file_name=body.file_name,
        content_type=body.content_type,
        size=body.size,
        status="pending",
        created_at=now,
        updated_at=now,
        expire_at=now + UNCHECKED_RETENTION,
    )
    signed = object_store().signed_put(record.pending_object, body.content_type, body.size, UPLOAD_URL_TTL)
    with FilesWork() as uow:
        uow.uploads.create(record.id, record)
    return UploadTicket(upload_id=record.id, url=signed.url, headers=signed.headers, expires_at=now + UPLOAD_URL_TTL)


def get_upload(owner_id: str, upload_id: str, *, units: type[FilesWork] = FilesWork) -> UploadOut:
    with units() as uow:
        record = uow.uploads.get(upload_id)
    if record is None or record.owner_id != owner_id:
        raise errors.UPLOAD_NOT_FOUND.error()
    return _out(record)


def download_link(user_id: str, upload_id: str, *, units: type[FilesWork] = FilesWork) -> DownloadLink:
    """A signed GET (≤ 5 minutes) for the owner and the readers it was shared with; 404 for anyone else."""
    with units() as uow:
        record = uow.uploads.get(upload_id)
    if record is None or (user_id != record.owner_id and user_id not in record.reader_ids):
        raise errors.UPLOAD_NOT_FOUND.error()
    if not record.readable_by(user_id):
        raise errors.UPLOAD_NOT_AVAILABLE.error()
    now = utcnow()
    url = object_store().signed_get(
        record.stored_object, record.content_type, content_disposition(record.file_name), DOWNLOAD_URL_TTL
    )
    return DownloadLink(url=url, expires_at=now + DOWNLOAD_URL_TTL)


def available_upload(owner_id: str, upload_id: str, content_type: str) -> bool:
    """Whether the owner has an upload of that id, checked (`available`) and of `content_type` (for areas that take
    an upload id in a request, such as credentialing's sources)."""
    with FilesWork() as uow:
        record = uow.uploads.get(upload_id)
    return (
        record is not None
        and record.owner_id == owner_id
        and record.status == "available"
        and record.content_type == content_type
    )


def read_upload(upload_id: str) -> bytes | None:
    """The bytes of an available upload, or None when it is not there (erased, rejected): for subscribers that
    process a file another use case already authorised (credentialing's ingestion)."""
    with FilesWork() as uow:
        record = uow.uploads.get(upload_id)
    if record is None or record.status != "available":
        return None
    return object_store().read(record.stored_object)


def attach_in(uow: UnitOfWork, upload_ids: Sequence[str], owner_id: str, reader_ids: Sequence[str]) -> list[Attachment]:
    """Share the owner's available uploads with `reader_ids`, in the caller's unit of work (a message's send).

    Each upload must be the owner's and `available`, else 409 ATTACHMENT_NOT_AVAILABLE (someone else's id gets
    the same answer, so ids reveal nothing). Reader ids are added to what the upload already had."""
    files = FilesWork.join(uow)
    wanted = list(dict.fromkeys(upload_ids))
    found = files.uploads.get_many(wanted)
    attachments: list[Attachment] = []
    for upload_id in wanted:
        record = found.get(upload_id)
        if record is None or record.owner_id != owner_id or record.status != "available":
            raise errors.ATTACHMENT_NOT_AVAILABLE.error()
        readers = sorted(set(record.reader_ids) | {reader for reader in reader_ids if reader != owner_id})
        if readers != record.reader_ids:
            files.uploads.change(upload_id, reader_ids=readers, updated_at=utcnow())
        attachments.append(
            Attachment(
                upload_id=record.id, file_name=record.file_name, content_type=record.content_type, size=record.size
            )
        )
    return attachments


def finalize(stored: StorageObjectFinalized) -> str:
    """Check a landed object against its upload: promote it (`available`) or delete it (`rejected`).

    State-based, so a redelivered notification changes nothing: only a pending upload is checked. Returns the
    outcome (for logs and tests). Storage failures raise and the notification is redelivered."""
    store = object_store()
    upload_id = upload_id_of(stored.name)
    if stored.bucket != store.bucket or upload_id is None:
        return "ignored"
    with FilesWork() as uow:
        record = uow.uploads.get(upload_id)
    if record is None:
        store.delete(stored.name)  # no upload of ours asked for this object
        return "orphan"
    if record.status != "pending":
        return record.status
    found = store.stat(stored.name)
    if found is None:
        return "gone"
    reason: str | None
    if found.size != record.size:
        reason = "size"
    elif found.content_type != record.content_type:
        reason = "type"
    else:
        reason = rejection_reason(record.content_type, record.size, store.read(stored.name))
    if reason is None:
        store.promote(stored.name, record.stored_object)
    else:
        store.delete(stored.name)
    now = utcnow()

    def settle(work: FilesWork) -> str:
        current = work.uploads.get(upload_id)
        if current is None or current.status != "pending":
            return current.status if current is not None else "gone"
        changes: dict[str, object] = {"updated_at": now}
        if reason is None:
            changes |= {"status": "available", "expire_at": None}
        else:
            changes |= {"status": "rejected", "rejected_reason": reason, "expire_at": now + UNCHECKED_RETENTION}
        work.uploads.change(upload_id, **changes)
        return "available" if reason is None else "rejected"

    outcome = FilesWork.run_in_transaction(settle)
    _log.info("upload checked", extra={"uploadId": upload_id, "outcome": outcome, "reason": reason})
    return outcome


def erase_user_uploads(user_id: str) -> int:
    """Delete every upload the user owns (objects first, then records) and drop them from others' reader lists.

    Idempotent: a retry finds what is left. Returns how many uploads were deleted."""
    store = object_store()
    deleted = 0
    while True:
        with FilesWork() as uow:
            owned = uow.uploads.owned_by(user_id, ERASURE_BATCH)
        if not owned:
            break
        for record in owned:
            store.delete(record.pending_object)
            store.delete(record.stored_object)
        with FilesWork() as uow:
            for record in owned:
                uow.uploads.delete(record.id)
        deleted += len(owned)
    while True:
        with FilesWork() as uow:
            shared = uow.uploads.shared_with(user_id, ERASURE_BATCH)
            for record in shared:
                uow.uploads.change(record.id, reader_ids=[r for r in record.reader_ids if r != user_id])
        if not shared:
            return deleted


# ------------------------------------------------------- objects other areas store (records exports, live chat)


def media_accepted(content_type: str, data: bytes) -> bool:
    """Whether the bytes are really a file of a media type the live chat takes (the magic-number checks)."""
    return content_type in MEDIA_TYPES and media_bytes_match(content_type, data)


def store_object(name: str, data: bytes, content_type: str) -> None:
    """Write checked bytes to the private bucket under `name` (a prefix the calling area owns)."""
    object_store().write(name, data, content_type)


def object_type(name: str) -> str | None:
    """The stored object's content type; None when there is no such object."""
    stored = object_store().stat(name)
    return None if stored is None else stored.content_type or "application/octet-stream"


def read_object(name: str) -> bytes:
    return object_store().read(name)


def delete_object(name: str) -> None:
    object_store().delete(name)


def download_url(name: str, content_type: str, file_name: str) -> str:
    """A short-lived signed URL serving the object as a download."""
    return object_store().signed_get(name, content_type, content_disposition(file_name), DOWNLOAD_URL_TTL)
