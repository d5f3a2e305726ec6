"""What the files area shows callers and other areas: upload tickets, download links, attachments."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from bloom.core.models import CamelModel, RequestModel

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TEXT = "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ContentType = Literal[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/plain",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
]
# The file name's extension must name the declared type: what a reader's computer opens a download with.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",),
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg"),
    TEXT: (".txt",),
    DOCX: (".docx",),
}
# Control, format (bidi overrides and isolates, zero-width characters) and line/paragraph separator characters:
# invisible, or able to make "invoice\u202efdp.exe" display as "invoiceexe.pdf".
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
UploadPurpose = Literal["message", "document"]
UploadStatus = Literal["pending", "available", "rejected"]


class CreateUpload(RequestModel):
    """`POST practice/uploads`: what the caller is about to upload."""

    purpose: UploadPurpose
    content_type: ContentType  # before the name, whose extension is checked against it
    file_name: str = Field(min_length=1, max_length=255)
    size: int = Field(ge=1, le=MAX_UPLOAD_BYTES)

    @field_validator("file_name")
    @classmethod
    def _plain_name(cls, value: str, info: ValidationInfo) -> str:
        """A file's name, not a path: invisible characters stripped, no separators, not blank, and an extension
        that names the declared type (checked once the type itself is valid)."""
        value = clean_file_name(value)
        if not value or any(ch in value for ch in "/\\"):
            raise ValueError("fileName must be a plain file name (no path separators)")
        content_type = info.data.get("content_type")
        if content_type is not None and not value.lower().endswith(EXTENSIONS[content_type]):
            raise ValueError(f"the extension must be {' or '.join(EXTENSIONS[content_type])} for {content_type}")
        return value


def clean_file_name(name: str) -> str:
    """The name without control, bidi, zero-width and line-separator characters, trimmed."""
    return "".join(ch for ch in name if unicodedata.category(ch) not in _INVISIBLE_CATEGORIES).strip()


class UploadTicket(CamelModel):
    """Where and how to PUT the bytes: send exactly `headers` with the request, before `expiresAt`."""

    upload_id: str
    url: str
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str]
    expires_at: datetime


class UploadOut(CamelModel):
    """An upload as its owner sees it (`GET practice/uploads/:id`): `status` turns `available` or `rejected` once
    the bytes are checked."""

    id: str
    purpose: UploadPurpose
    file_name: str
    content_type: ContentType
    size: int
    status: UploadStatus
    created_at: datetime


class DownloadLink(CamelModel):
    """A signed GET URL, valid until `expiresAt` (at most 5 minutes)."""

    url: str
    expires_at: datetime


class Attachment(CamelModel):
    """An available upload attached to something others read (a message)."""

    upload_id: str
    file_name: str
    content_type: ContentType
    size: int


class StorageObjectFinalized(BaseModel):
    """A storage notification (GCS `JSON_API_V1` payload: the object's resource; the local stack publishes the
    same shape). Only the fields the finalize step reads; sizes come as strings in the JSON API."""

    model_config = ConfigDict(extra="ignore")

    bucket: str = Field(min_length=1, max_length=222)
    name: str = Field(min_length=1, max_length=1024)
    size: int | None = None
