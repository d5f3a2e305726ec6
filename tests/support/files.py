"""Files for upload tests: real minimal PNG, PDF, JPEG, DOCX and text bytes, and signed-URL inspection."""

from __future__ import annotations

import io
import zipfile
from urllib.parse import parse_qs, urlsplit

from bloom.files.schemas import EXTENSIONS

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(13) + b"\x00\x00\x00\x00IEND\xaeB`\x82"
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(32) + b"\xff\xd9"
TEXT_BYTES = b"Notes for Thursday's session.\nI felt safer this week.\n"


def docx_bytes(*, word: bool = True) -> bytes:
    """A ZIP with the parts of a Word document (or, with word=False, a ZIP of something else)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml" if word else "data/sheet.xml", "<document/>")
    return buffer.getvalue()


def file_name_for(content_type: str, stem: str = "notes") -> str:
    """A file name whose extension names the type, as uploads require."""
    return f"{stem}{EXTENSIONS[content_type][0]}"


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
