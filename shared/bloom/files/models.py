"""Uploads: the stored record and the rules on real bytes (no I/O).

An upload's bytes land at `pending/{id}` through a signed PUT. The finalize step checks them against what the
owner declared (size, then the type's magic number, and for DOCX the package's parts) and either promotes them
to `files/{id}` (status `available`) or deletes them (status `rejected`). Anything under `pending/` is thus
unchecked, and the bucket's lifecycle rule deletes it after a day; pending and rejected records expire too.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta

from bloom.core.models import CamelModel
from bloom.files.schemas import DOCX, JPEG, PDF, PNG, TEXT, ContentType, UploadPurpose, UploadStatus, clean_file_name

PENDING_PREFIX = "pending/"
FILES_PREFIX = "files/"
UPLOAD_URL_TTL = timedelta(minutes=10)
DOWNLOAD_URL_TTL = timedelta(minutes=5)
UNCHECKED_RETENTION = timedelta(days=1)  # a pending or rejected record (and a pending object) lives this long

_MAGIC: dict[str, tuple[bytes, ...]] = {
    PDF: (b"%PDF-",),
    PNG: (b"\x89PNG\r\n\x1a\n",),
    JPEG: (b"\xff\xd8\xff",),
    DOCX: (b"PK\x03\x04",),
}
_DOCX_PARTS = ("[Content_Types].xml", "word/document.xml")
# Live chat media (images and voice notes the frontend sends): how each type's bytes begin.
_MEDIA_MAGIC: dict[str, Callable[[bytes], bool]] = {
    "image/gif": lambda data: data.startswith((b"GIF87a", b"GIF89a")),
    "image/webp": lambda data: data.startswith(b"RIFF") and data[8:12] == b"WEBP",
    "audio/webm": lambda data: data.startswith(b"\x1a\x45\xdf\xa3"),  # EBML (Matroska/WebM)
    "audio/ogg": lambda data: data.startswith(b"OggS"),
    "audio/mp4": lambda data: data[4:8] == b"ftyp",
    "audio/mpeg": lambda data: (
        data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)
    ),
}
MEDIA_TYPES = frozenset({PDF, PNG, JPEG, *_MEDIA_MAGIC})


class UploadRecord(CamelModel):
    """Stored at `uploads/{id}`. `reader_ids` are the users (besides the owner) it was shared with by attaching
    it; `expire_at` (a TTL field) is set while the upload is pending or rejected, cleared once available."""

    id: str
    owner_id: str
    purpose: UploadPurpose
    file_name: str
    content_type: ContentType
    size: int
    status: UploadStatus
    reader_ids: list[str] = []
    created_at: datetime
    updated_at: datetime
    expire_at: datetime | None = None
    rejected_reason: str | None = None

    @property
    def pending_object(self) -> str:
        return pending_object_name(self.id)

    @property
    def stored_object(self) -> str:
        return f"{FILES_PREFIX}{self.id}"

    def readable_by(self, user_id: str) -> bool:
        return self.status == "available" and (user_id == self.owner_id or user_id in self.reader_ids)


def pending_object_name(upload_id: str) -> str:
    return f"{PENDING_PREFIX}{upload_id}"


def upload_id_of(object_name: str) -> str | None:
    """The upload a pending object belongs to, or None for any other object."""
    if not object_name.startswith(PENDING_PREFIX):
        return None
    upload_id = object_name[len(PENDING_PREFIX) :]
    return upload_id if upload_id and "/" not in upload_id else None


def rejection_reason(content_type: str, declared_size: int, data: bytes) -> str | None:
    """Why these bytes are not the declared file (None when they are): size first, then the content itself."""
    if len(data) != declared_size:
        return "size"
    if content_type == TEXT:
        return None if _is_text(data) else "type"
    if not data.startswith(_MAGIC[content_type]):
        return "type"
    if content_type == DOCX and not _is_docx(data):
        return "type"
    return None


def media_bytes_match(content_type: str, data: bytes) -> bool:
    """Whether the bytes are a file of this media type (live chat attachments: `MEDIA_TYPES`)."""
    check = _MEDIA_MAGIC.get(content_type)
    if check is not None:
        return check(data)
    return content_type in (PDF, PNG, JPEG) and data.startswith(_MAGIC[content_type])


def _is_text(data: bytes) -> bool:
    """Plain text: valid UTF-8 (a BOM allowed) without NUL or other control characters but tab and line breaks."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return not any(ord(ch) < 32 and ch not in "\t\n\r\f" for ch in text)


def _is_docx(data: bytes) -> bool:
    """A ZIP holding the parts every Word document has (a ZIP of anything else is not a DOCX)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return False
    return all(part in names for part in _DOCX_PARTS)


def content_disposition(file_name: str) -> str:
    """`attachment` (never rendered inline by the browser from our bucket), with the name RFC 5987-encoded and
    without invisible characters (names stored before they were stripped at upload)."""
    from urllib.parse import quote

    file_name = clean_file_name(file_name)
    ascii_name = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in file_name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name, safe='')}"
