"""Therapist documents (a service module): the credentials a therapist keeps on file, each one of their own
checked uploads described by kind, number, issuer, state and expiry.

Documents belong to the therapist's Bloom user id (the uploads' owner); someone else's document id answers 404,
whether it exists or not.
"""

from __future__ import annotations

import uuid

from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.credentialing import errors
from bloom.credentialing.models import DocumentRecord
from bloom.credentialing.repository import CredentialsWork
from bloom.credentialing.schemas import CreateDocument, Document, DocumentList
from bloom.files import errors as file_errors
from bloom.files import service as files
from bloom.users.schemas import Caller

_log = get_logger(__name__)


def add_document(caller: Caller, body: CreateDocument) -> Document:
    """`POST credentialing/documents`: the upload must be the caller's (else 404) and checked (`available`, else
    409)."""
    owner_id = caller.user.id
    upload = files.get_upload(owner_id, body.upload_id)
    if upload.status != "available":
        raise file_errors.UPLOAD_NOT_AVAILABLE.error()
    now = utcnow()
    record = DocumentRecord(
        id=uuid.uuid4().hex,
        owner_id=owner_id,
        owner_uid=caller.auth_uid,
        upload_id=upload.id,
        file_name=upload.file_name,
        kind=body.kind,
        number=body.number,
        issuer=body.issuer,
        state=body.state,
        expires_on=body.expires_on,
        created_at=now,
        updated_at=now,
    )
    with CredentialsWork() as uow:
        uow.documents.create(record.id, record)
    _log.info("credentialing document added", extra={"documentId": record.id, "kind": record.kind})
    return record.out()


def list_documents(caller: Caller) -> DocumentList:
    """`GET credentialing/documents`: the caller's documents, newest first."""
    with CredentialsWork() as uow:
        found = uow.documents.owned_by(caller.user.id)
    found.sort(key=lambda d: (d.created_at, d.id), reverse=True)
    return DocumentList(items=[d.out() for d in found])


def _own(uow: CredentialsWork, caller: Caller, document_id: str) -> DocumentRecord:
    record = uow.documents.get(document_id)
    if record is None or record.owner_id != caller.user.id:
        raise errors.DOCUMENT_NOT_FOUND.error()
    return record


def get_document(caller: Caller, document_id: str) -> Document:
    with CredentialsWork() as uow:
        return _own(uow, caller, document_id).out()


def delete_document(caller: Caller, document_id: str) -> Document:
    """`DELETE credentialing/documents/:id`: the description goes (the upload stays the caller's). A submitted
    application keeps the checklist it was submitted with."""
    with CredentialsWork() as uow:
        record = _own(uow, caller, document_id)
        uow.documents.delete(record.id)
    return record.out()


def erase_credentials_of(user_id: str) -> int:
    """A deleted user's documents and applications go (their uploads go through the files area's erasure).
    Idempotent; returns how many records went."""
    with CredentialsWork() as uow:
        documents = uow.documents.delete_matching(owner_id=user_id)
        applications = uow.applications.delete_matching(owner_id=user_id)
    _log.info("credentialing erased", extra={"documents": documents, "applications": applications})
    return documents + applications
