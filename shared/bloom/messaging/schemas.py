"""What the messaging area shows callers: threads, messages, moderation verdicts and audit records."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from bloom.core.models import CamelModel, RequestModel
from bloom.platform.cursors import Cursor

ThreadKind = Literal["care", "support"]
ModerationState = Literal["clean", "blurred", "flagged", "blocked"]
AuditAction = Literal["send", "edit", "delete", "reaction_add", "reaction_remove", "moderation", "audit_read"]
ModelPass = Literal["off", "ok", "failed"]
TEXT_MAX = 4000
PAGE_MAX = 100
Id = Annotated[str, Field(min_length=1, max_length=128)]


class Moderation(CamelModel):
    state: ModerationState
    reasons: list[str]


class Attachment(CamelModel):
    upload_id: str
    file_name: str
    content_type: str
    size: int


class Thread(CamelModel):
    id: str
    participant_ids: list[str]
    kind: ThreadKind
    assignment_id: str | None
    read_only: bool
    created_at: datetime
    last_message_at: datetime
    last_message_preview: str
    read_by: dict[str, str]  # user id -> the last message id they have read


class Message(CamelModel):
    id: str
    thread_id: str
    sender_id: str
    text: str
    moderation: Moderation
    attachments: list[Attachment]
    reactions: dict[str, list[str]]
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None


class CreateThread(RequestModel):
    kind: ThreadKind
    assignment_id: Id | None = None


class ThreadsQuery(RequestModel):
    """`kind=support` (practice admins): every support thread, the team's queue, instead of the caller's threads."""

    kind: Literal["support"] | None = None
    cursor: Cursor | None = None
    limit: Annotated[int, Field(ge=1, le=PAGE_MAX)] = 20


class ThreadPage(CamelModel):
    items: list[Thread]
    next_cursor: str | None


class MessagesQuery(RequestModel):
    before: Cursor | None = None
    limit: Annotated[int, Field(ge=1, le=PAGE_MAX)] = 50


class MessagePage(CamelModel):
    items: list[Message]
    next_cursor: str | None  # pass as `before` for older messages


MessageText = Annotated[str, StringConstraints(min_length=1, max_length=TEXT_MAX)]


class SendMessage(RequestModel):
    text: MessageText
    attachment_ids: Annotated[list[Id], Field(max_length=10)] = Field(default_factory=list)
    client_message_id: Annotated[str, Field(min_length=8, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")]


class EditMessage(RequestModel):
    text: MessageText


class MarkRead(RequestModel):
    message_id: Id


class AuditQuery(RequestModel):
    thread_id: Id
    before: Cursor | None = None
    limit: Annotated[int, Field(ge=1, le=PAGE_MAX)] = 100


class AuditModeration(CamelModel):
    state: ModerationState
    reasons: list[str]
    model_pass: ModelPass


class AuditRecord(CamelModel):
    """Append-only; content as SHA-256 hex digests, never the text."""

    id: str
    action: AuditAction
    actor_id: str
    thread_id: str
    message_id: str | None
    at: datetime
    request_id: str | None
    content_sha256_before: str | None
    content_sha256_after: str | None
    moderation: AuditModeration | None
    emoji: str | None = None


class AuditPage(CamelModel):
    items: list[AuditRecord]
    next_cursor: str | None
