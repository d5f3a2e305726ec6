"""The live chat's shapes: the stored message every module reads, and the payloads the frontend receives over
Socket.IO (`history` entries and `agent_reply`, byte-compatible with the original backend: see docs/livechat.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from bloom.core.models import CamelModel

Role = Literal["user", "agent"]
AttachmentKind = Literal["image", "voice", "file"]
TEXT_MAX = 10_000  # the original backend's SendMessageDto: 1 to 10 000 characters


class ChatAttachment(CamelModel):
    """A file of a message: `url` is the API-relative path the frontend prefixes with its API URL (a signed-URL
    redirect, never a proxy of arbitrary URLs); `object_name` is the private bucket's object, for erasure."""

    kind: AttachmentKind
    url: str
    name: str | None = None
    object_name: str | None = None


class ChatModeration(CamelModel):
    """What messaging's moderation found in a user's message (the team reads the text as sent)."""

    state: str
    reasons: list[str] = Field(default_factory=list)


class ChatMessage(CamelModel):
    """`livechatUsers/{userId}/messages/{id}`: one message of a user's chat, from the user or the team."""

    id: str
    user_id: str
    role: Role
    text: str
    attachments: list[ChatAttachment] = Field(default_factory=list)
    at: datetime  # when it was written (Front's time for a team reply)
    stored_at: datetime  # when it reached Firestore: what the relay's listeners follow
    author_name: str | None = None  # the team member (agent replies)
    front_message_id: str | None = None  # agent replies: Front's id (idempotency); user messages: once relayed
    front_relay_started_at: datetime | None = None  # user messages: when a post to Front was first attempted
    moderation: ChatModeration | None = None  # user messages

    def history_entry(self) -> dict[str, Any]:
        """The frontend's `HistoryEntry`: `createdAt` in milliseconds."""
        entry: dict[str, Any] = {
            "id": self.id,
            "direction": self.role,
            "text": self.text,
            "createdAt": int(self.at.timestamp() * 1000),
        }
        if self.attachments:
            entry["attachments"] = [attachment_payload(a) for a in self.attachments]
        if self.author_name:
            entry["authorName"] = self.author_name
        return entry

    def agent_reply(self) -> dict[str, Any]:
        """The frontend's `AgentReplyPayload`: `emittedAt` in seconds (Front's convention)."""
        payload: dict[str, Any] = {"id": self.id, "body": self.text, "emittedAt": int(self.at.timestamp())}
        if self.author_name:
            payload["authorName"] = self.author_name
        if self.attachments:
            payload["attachments"] = [attachment_payload(a) for a in self.attachments]
        return payload


def attachment_payload(attachment: ChatAttachment) -> dict[str, Any]:
    payload: dict[str, Any] = {"url": attachment.url, "kind": attachment.kind}
    if attachment.name:
        payload["name"] = attachment.name
    return payload


class UnreadReplies(CamelModel):
    """A chat whose team reply is still unread, as the unread-reply email job sees it."""

    user_id: str
    unread_since: datetime
    emails_sent: int
    last_email_at: datetime | None
