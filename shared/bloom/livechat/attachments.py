"""Live chat attachments: images and voice notes a user sends (`POST front-chat/attachments`, multipart `file`).

The bytes are checked with the files area's magic numbers (a declared type the bytes do not match is refused),
stored in the private bucket under `livechat/{token}`, and sent as a user message (which the Front relay posts
with the file). The message's attachment `url` is `/front-chat/attachments/{token}`: `token` is 32 random bytes,
a capability only the chat's user sees (an `<img src>` sends no Authorization header), answered with a redirect to
a signed URL valid for minutes. Nothing here fetches a URL it was given.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass

from bloom.core.errors import BadRequest, ErrorCatalogue
from bloom.files import service as files
from bloom.livechat import service
from bloom.livechat.front import OutgoingFile
from bloom.livechat.schemas import AttachmentKind, ChatAttachment

ERRORS = ErrorCatalogue("livechat-attachments")
NO_FILE = ERRORS.declare(400, "No file provided")
BYTES_MISMATCH = ERRORS.declare(400, "File content does not match its type")
FILE_TOO_LARGE = ERRORS.declare(413, "File too large")
ATTACHMENT_NOT_FOUND = ERRORS.declare(404, "ATTACHMENT_NOT_FOUND")

MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024  # the frontend's MAX_ATTACHMENT_BYTES
MULTIPART_OVERHEAD = 64 * 1024  # the form's boundaries and part headers around the file
ALLOWED_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/gif", "image/webp", "audio/webm", "audio/mp4", "audio/mpeg", "audio/ogg"}
    | {"application/pdf"}
)
PREFIX = "livechat/"
URL_PREFIX = "/front-chat/attachments/"
NAME_MAX = 200


@dataclass(frozen=True)
class UploadedFile:
    name: str
    content_type: str
    data: bytes


def read_upload(raw_body: bytes, content_type_header: str) -> UploadedFile:
    """The multipart form's `file` part (400 `No file provided` without one)."""
    from werkzeug.formparser import FormDataParser
    from werkzeug.http import parse_options_header

    mimetype, options = parse_options_header(content_type_header)
    if mimetype != "multipart/form-data" or "boundary" not in options:
        raise NO_FILE.error()
    parser = FormDataParser(max_content_length=MAX_ATTACHMENT_BYTES + MULTIPART_OVERHEAD)
    _, _, uploaded = parser.parse(io.BytesIO(raw_body), mimetype, len(raw_body), options)
    part = uploaded.get("file")
    if part is None:
        raise NO_FILE.error()
    content_type = (part.mimetype or "").lower()
    return UploadedFile(name=(part.filename or "attachment")[:NAME_MAX], content_type=content_type, data=part.read())


def display_text(attachment: ChatAttachment) -> str:
    """The text of a message that is only a file, as the original backend's history shows it: a voice note's is
    `Voice note`, another file's its name. The frontend's optimistic bubble has the file's name as its text and is
    replaced by the stored message when the texts match (`useMessaging`'s history reconciliation)."""
    return "Voice note" if attachment.kind == "voice" else attachment.name or "Attachment"


def kind_of(content_type: str) -> AttachmentKind:
    if content_type.startswith("image/"):
        return "image"
    return "voice" if content_type.startswith("audio/") else "file"


def send_attachment(user_id: str, upload: UploadedFile) -> None:
    """Check, store and send a user's file as a chat message (relayed to Front like any message)."""
    if upload.content_type not in ALLOWED_TYPES:
        raise BadRequest(f'File type "{upload.content_type[:100]}" is not allowed')  # the original's, type named
    if len(upload.data) > MAX_ATTACHMENT_BYTES:
        raise FILE_TOO_LARGE.error()
    attachment = store_file(upload.name, upload.content_type, upload.data)
    if attachment is None:
        raise BYTES_MISMATCH.error()
    service.send_user_message(user_id, display_text(attachment), [attachment])


def store_file(name: str, content_type: str, data: bytes) -> ChatAttachment | None:
    """Store a file whose bytes are an allowed type (a teammate's, from Front); None for anything else."""
    content_type = content_type.lower()
    if content_type not in ALLOWED_TYPES or not files.media_accepted(content_type, data):
        return None
    token = secrets.token_urlsafe(32)
    files.store_object(PREFIX + token, data, content_type)
    return ChatAttachment(
        kind=kind_of(content_type), url=URL_PREFIX + token, name=name[:NAME_MAX], object_name=PREFIX + token
    )


def signed_url(token: str) -> str:
    """Where the attachment `token` names can be fetched for a few minutes (404 for anything else)."""
    if not token or len(token) > 100 or not token.isascii() or not all(ch.isalnum() or ch in "-_" for ch in token):
        raise ATTACHMENT_NOT_FOUND.error()
    content_type = files.object_type(PREFIX + token)
    if content_type is None:
        raise ATTACHMENT_NOT_FOUND.error()
    return files.download_url(PREFIX + token, content_type, "attachment" + _extension(content_type))


def _extension(content_type: str) -> str:
    return "." + content_type.split("/", 1)[1].removeprefix("x-")


def outgoing_file(attachment: ChatAttachment) -> OutgoingFile:
    """A stored attachment's bytes, for Front."""
    assert attachment.object_name is not None
    data = files.read_object(attachment.object_name)
    content_type = files.object_type(attachment.object_name) or "application/octet-stream"
    return OutgoingFile(name=attachment.name or "attachment", content_type=content_type, data=data)


def delete_files(attachments: list[ChatAttachment]) -> None:
    for attachment in attachments:
        if attachment.object_name and attachment.object_name.startswith(PREFIX):
            files.delete_object(attachment.object_name)
