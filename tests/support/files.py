"""Files for upload tests: real minimal PNG, PDF, JPEG, DOCX and text bytes, signed-URL inspection, and uploads
through the API (`practice/uploads`) waited until the finalize check settles them."""

from __future__ import annotations

import io
import zipfile
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from bloom.files.schemas import EXTENSIONS
from infra.auth_emulator import AuthAccount
from infra.stack_runner import RunningStack
from tests.support.wait import eventually

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


def api(stack: RunningStack, method: str, path: str, account: AuthAccount | None, **kwargs: Any) -> requests.Response:
    headers = account.headers if account is not None else {}
    return requests.request(method, f"{stack.api}/v1/practice/{path}", headers=headers, timeout=30, **kwargs)


def start(stack: RunningStack, account: AuthAccount, content_type: str, size: int, **fields: Any) -> dict[str, Any]:
    body = {"purpose": "message", "fileName": file_name_for(content_type), "contentType": content_type, "size": size}
    body |= fields
    response = api(stack, "POST", "uploads", account, json=body)
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()
    return ticket


def status_of(stack: RunningStack, account: AuthAccount, upload_id: str) -> str:
    response = api(stack, "GET", f"uploads/{upload_id}", account)
    assert response.ok, response.text
    return str(response.json()["status"])


def settled(stack: RunningStack, account: AuthAccount, upload_id: str) -> str:
    return eventually(lambda: status_of(stack, account, upload_id), lambda status: status != "pending")


def uploaded(stack: RunningStack, account: AuthAccount, data: bytes, content_type: str, **fields: Any) -> str:
    ticket = start(stack, account, content_type, len(data), **fields)
    put = requests.put(ticket["url"], data=data, headers=ticket["headers"], timeout=30)
    assert put.ok, put.text
    return str(ticket["uploadId"])
