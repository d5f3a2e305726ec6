"""Requirement sources: a practice admin adds a payer's requirements PDF (an upload of theirs); the ingestion
subscriber turns it into chunks (`ingestion.py`). Sources are the practice's, not a person's: every practice admin
sees and manages all of them."""

from __future__ import annotations

import uuid

from bloom.core.time import utcnow
from bloom.credentialing import errors
from bloom.credentialing.events import SOURCE_ADDED
from bloom.credentialing.models import SourceRecord
from bloom.credentialing.repository import SourcesWork
from bloom.credentialing.schemas import CreateSource, SourceAdded, SourceList, SourceOut
from bloom.files import service as files
from bloom.files.schemas import PDF
from bloom.users.schemas import Caller


def add_source(caller: Caller, body: CreateSource) -> SourceOut:
    """Record a pending source and ask for its ingestion (an event in the same commit). The upload must be the
    caller's, checked, and a PDF; otherwise 409, whether it exists or not."""
    if not files.available_upload(caller.user.id, body.upload_id, PDF):
        raise errors.SOURCE_UPLOAD_NOT_USABLE.error()
    now = utcnow()
    record = SourceRecord(
        id=uuid.uuid4().hex,
        upload_id=body.upload_id,
        owner_id=caller.user.id,
        payer=body.payer,
        state=body.state,
        title=body.title,
        status="pending",
        created_by=caller.user.id,
        created_at=now,
        updated_at=now,
    )
    with SourcesWork() as uow:
        uow.sources.create(record.id, record)
        uow.emit(SOURCE_ADDED, SourceAdded(source_id=record.id, generation=record.generation))
    return record.out()


def reingest_source(source_id: str) -> SourceOut:
    """Ingest the source again (a new generation: an older ingestion still running stops at its next batch)."""

    def work(uow: SourcesWork) -> SourceRecord:
        record = uow.sources.get(source_id)
        if record is None:
            raise errors.SOURCE_NOT_FOUND.error()
        changed = record.model_copy(
            update={
                "status": "pending",
                "generation": record.generation + 1,
                "pages_done": 0,
                "failure_reason": None,
                "updated_at": utcnow(),
            }
        )
        uow.sources.save(source_id, changed)
        uow.emit(SOURCE_ADDED, SourceAdded(source_id=source_id, generation=changed.generation))
        return changed

    return SourcesWork.run_in_transaction(work).out()


def list_sources() -> SourceList:
    with SourcesWork() as uow:
        return SourceList(items=[record.out() for record in uow.sources.newest()])


def delete_source(source_id: str) -> SourceOut:
    """Delete the source, then its chunks (an ingestion still running stops at its next batch and removes what
    it wrote since); returns what was deleted."""
    with SourcesWork() as uow:
        record = uow.sources.get(source_id)
        if record is None:
            raise errors.SOURCE_NOT_FOUND.error()
        uow.sources.delete(source_id)
    with SourcesWork() as uow:
        uow.chunks.delete_from_index(source_id, 0)
    return record.out()
