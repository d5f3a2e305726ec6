"""Upload rules without I/O: the declared name and type, the check on real bytes, the download's name."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bloom.core.errors import NotFound
from bloom.files import service as files
from bloom.files.models import content_disposition, rejection_reason
from bloom.files.repository import FilesWork
from bloom.files.schemas import DOCX, JPEG, PDF, PNG, TEXT, CreateUpload
from bloom.platform.store.unit_of_work import without_store
from tests.support.files import JPEG_BYTES, PDF_BYTES, PNG_BYTES, TEXT_BYTES, docx_bytes


def upload(**fields: Any) -> CreateUpload:
    body = {"purpose": "document", "fileName": "a.pdf", "contentType": PDF, "size": 10, **fields}
    return CreateUpload.model_validate(body)


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("Scan.PDF", PDF),
        ("photo.jpg", JPEG),
        ("photo.jpeg", JPEG),
        ("diagram.png", PNG),
        ("notes.txt", TEXT),
        ("letter.docx", DOCX),
    ],
)
def test_a_name_whose_extension_names_the_declared_type_is_accepted(name: str, content_type: str) -> None:
    assert upload(fileName=name, contentType=content_type).file_name == name


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("invoice.exe", PDF),
        ("invoice.pdf.exe", PDF),
        ("photo.png", JPEG),
        ("notes", TEXT),
        ("letter.doc", DOCX),
        ("page.html", TEXT),
    ],
)
def test_a_name_whose_extension_does_not_name_the_declared_type_is_refused(name: str, content_type: str) -> None:
    with pytest.raises(ValidationError, match="the extension must be"):
        upload(fileName=name, contentType=content_type)


def test_control_bidi_and_zero_width_characters_are_stripped_from_names() -> None:
    assert upload(fileName="a\x00b\x1f.pdf").file_name == "ab.pdf"
    assert upload(fileName="\u200breport\u2066 2024\u2069\u200d.pdf\u2028").file_name == "report 2024.pdf"
    # "invoice<RLO>fdp.exe" displays as "invoiceexe.pdf": stripped, its real extension is refused
    with pytest.raises(ValidationError, match=r"the extension must be \.pdf"):
        upload(fileName="invoice\u202efdp.exe")


@pytest.mark.parametrize("name", ["../../etc/passwd.pdf", "a\\b.pdf", "   ", "\u202e\u200b"])
def test_paths_and_names_with_nothing_visible_are_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="fileName must be a plain file name"):
        upload(fileName=name)


@pytest.mark.parametrize(
    ("field", "value"), [("contentType", "text/html"), ("contentType", "application/x-msdownload"), ("size", 0)]
)
def test_types_and_sizes_outside_the_allowed_are_refused(field: str, value: Any) -> None:
    with pytest.raises(ValidationError):
        upload(**{field: value})


def test_the_download_name_carries_no_invisible_characters() -> None:
    disposition = content_disposition("invoice\u202efdp.exe")
    assert disposition == "attachment; filename=\"invoicefdp.exe\"; filename*=UTF-8''invoicefdp.exe"


@pytest.mark.parametrize(
    ("content_type", "data"),
    [(PDF, PDF_BYTES), (PNG, PNG_BYTES), (JPEG, JPEG_BYTES), (TEXT, TEXT_BYTES), (DOCX, docx_bytes())],
)
def test_bytes_of_the_declared_type_pass_the_check(content_type: str, data: bytes) -> None:
    assert rejection_reason(content_type, len(data), data) is None


@pytest.mark.parametrize(
    ("content_type", "data", "reason"),
    [
        (PNG, PDF_BYTES, "type"),
        (TEXT, b"MZ\x90\x00\x03" + bytes(20), "type"),
        (DOCX, docx_bytes(word=False), "type"),
        (PDF, PDF_BYTES + b"extra", "size"),
    ],
)
def test_bytes_that_are_not_the_declared_file_are_rejected(content_type: str, data: bytes, reason: str) -> None:
    declared = len(PDF_BYTES) if reason == "size" else len(data)
    assert rejection_reason(content_type, declared, data) == reason


def test_an_id_the_store_cannot_hold_is_not_found_without_reaching_the_store() -> None:
    storeless = without_store(FilesWork)
    for lookup in (files.get_upload, files.download_link):
        with pytest.raises(NotFound, match="UPLOAD NOT FOUND"):
            lookup("user-1", "../uploads/x", units=storeless)
