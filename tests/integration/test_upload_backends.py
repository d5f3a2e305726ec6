"""The same upload tests on both object stores: Cloud Storage (the storage emulator) and S3 (a moto server).

The finalize step is called with the notification each store would deliver (the stack's own notifications watch
only its default bucket, so these buckets are left to the test)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from bloom.core.errors import NotFound
from bloom.files import service as files
from bloom.files.backends import object_store
from bloom.files.schemas import CreateUpload, StorageObjectFinalized, UploadTicket
from tests.support.files import JPEG_BYTES, PDF_BYTES, PNG_BYTES, TEXT_BYTES, docx_bytes, file_name_for, query
from tests.support.object_stores import BUCKET

OWNER, READER, STRANGER = "user-owner", "user-reader", "user-stranger"


def _upload(data: bytes, content_type: Any, declared: int | None = None, owner: str = OWNER) -> UploadTicket:
    body = CreateUpload(
        purpose="document", file_name=file_name_for(content_type), content_type=content_type, size=declared or len(data)
    )
    ticket = files.create_upload(owner, body)
    response = requests.put(ticket.url, data=data, headers=ticket.headers, timeout=30)
    assert response.ok, response.text
    return ticket


def _finalize(ticket: UploadTicket) -> str:
    return files.finalize(StorageObjectFinalized(bucket=BUCKET, name=f"pending/{ticket.upload_id}"))


def test_each_allowed_type_becomes_available_and_downloads(backend: str) -> None:
    for data, content_type in [
        (PNG_BYTES, "image/png"),
        (PDF_BYTES, "application/pdf"),
        (JPEG_BYTES, "image/jpeg"),
        (TEXT_BYTES, "text/plain"),
        (docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ]:
        ticket = _upload(data, content_type)
        assert _finalize(ticket) == "available", content_type
        assert _finalize(ticket) == "available"  # a redelivered notification changes nothing
        store = object_store()
        assert store.stat(f"pending/{ticket.upload_id}") is None
        link = files.download_link(OWNER, ticket.upload_id)
        download = requests.get(link.url, timeout=30)
        assert download.content == data
        assert download.headers["Content-Disposition"].startswith("attachment;")


def test_wrong_type_bytes_are_rejected_and_deleted(backend: str) -> None:
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    for data, content_type in [
        (PDF_BYTES, "image/png"),
        (PNG_BYTES, "image/jpeg"),
        (docx_bytes(word=False), docx),  # a ZIP, but no Word document
        (b"\x00\x01binary", "text/plain"),
    ]:
        ticket = _upload(data, content_type)
        assert _finalize(ticket) == "rejected", content_type
        assert object_store().stat(f"pending/{ticket.upload_id}") is None
        assert object_store().stat(f"files/{ticket.upload_id}") is None
        assert files.get_upload(OWNER, ticket.upload_id).status == "rejected"


def test_more_bytes_than_declared_are_rejected(backend: str) -> None:
    ticket = _upload(PDF_BYTES + b"trailing", "application/pdf", declared=len(PDF_BYTES))
    assert _finalize(ticket) == "rejected"
    assert object_store().stat(f"pending/{ticket.upload_id}") is None


def test_signed_urls_are_short_lived_and_bound_to_type_and_size(backend: str) -> None:
    ticket = files.create_upload(
        OWNER, CreateUpload(purpose="message", file_name="a.png", content_type="image/png", size=1234)
    )
    signed = query(ticket.url)
    if backend == "gcs":
        assert int(signed["X-Goog-Expires"]) == 600
        assert {"content-type", "x-goog-content-length-range"} <= set(signed["X-Goog-SignedHeaders"].split(";"))
        assert ticket.headers["x-goog-content-length-range"] == "1234,1234"
    else:
        assert int(signed["X-Amz-Expires"]) == 600
        assert {"content-type", "content-length"} <= set(signed["X-Amz-SignedHeaders"].split(";"))
    assert ticket.headers["Content-Type"] == "image/png"
    uploaded = _upload(PNG_BYTES, "image/png")
    _finalize(uploaded)
    link = query(files.download_link(OWNER, uploaded.upload_id).url)
    assert int(link.get("X-Goog-Expires") or link["X-Amz-Expires"]) == 300


def test_downloads_only_for_the_owner_and_readers(backend: str) -> None:
    from bloom.platform.store.unit_of_work import UnitOfWork

    ticket = _upload(PNG_BYTES, "image/png")
    _finalize(ticket)
    with pytest.raises(NotFound):
        files.download_link(READER, ticket.upload_id)
    with UnitOfWork() as uow:
        files.attach_in(uow, [ticket.upload_id], OWNER, [READER])
    assert requests.get(files.download_link(READER, ticket.upload_id).url, timeout=30).content == PNG_BYTES
    with pytest.raises(NotFound):
        files.download_link(STRANGER, ticket.upload_id)


def test_erasure_removes_the_objects(backend: str) -> None:
    ticket = _upload(PNG_BYTES, "image/png")
    _finalize(ticket)
    pending = files.create_upload(
        OWNER, CreateUpload(purpose="message", file_name="b.png", content_type="image/png", size=len(PNG_BYTES))
    )
    requests.put(pending.url, data=PNG_BYTES, headers=pending.headers, timeout=30)
    assert files.erase_user_uploads(OWNER) == 2
    assert object_store().stat(f"files/{ticket.upload_id}") is None
    assert object_store().stat(f"pending/{pending.upload_id}") is None
    assert files.erase_user_uploads(OWNER) == 0
