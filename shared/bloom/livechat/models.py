"""The chat document of a user and the rules that need no I/O: unread replies and the unread-email windows
(the original backend's: the first email 5 minutes after the reply, then at most one per 2 hours, 3 at most)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from bloom.core.models import CamelModel
from bloom.livechat.schemas import UnreadReplies

FIRST_EMAIL_AFTER = timedelta(minutes=5)
EMAIL_INTERVAL = timedelta(hours=2)
MAX_EMAILS = 3
SEND_WINDOW = timedelta(seconds=10)  # the original gateway's limit: 20 sends per socket per 10 seconds
SENDS_PER_WINDOW = 20
HISTORY_LIMIT = 200  # the newest messages a (re)connecting socket receives


class ChatRecord(CamelModel):
    """`livechatUsers/{userId}`: one per user who chatted (server only)."""

    user_id: str
    created_at: datetime
    last_message_at: datetime
    read_at: datetime | None = None  # the user's last read receipt
    unread_since: datetime | None = None  # the oldest team reply after `read_at`; None when all are read
    emails_sent: int = 0  # unread-reply emails since the last read receipt
    last_email_at: datetime | None = None


def new_chat(user_id: str, now: datetime) -> ChatRecord:
    return ChatRecord(user_id=user_id, created_at=now, last_message_at=now)


def with_reply(chat: ChatRecord, at: datetime) -> ChatRecord:
    """A team reply arrived: it is unread until a read receipt at or after it."""
    unread_since = chat.unread_since
    if (chat.read_at is None or at > chat.read_at) and (unread_since is None or at < unread_since):
        unread_since = at
    return chat.model_copy(update={"last_message_at": max(chat.last_message_at, at), "unread_since": unread_since})


def with_read(chat: ChatRecord, at: datetime) -> ChatRecord:
    """A read receipt: every reply so far is read and the email windows start again."""
    read_at = at if chat.read_at is None else max(chat.read_at, at)
    return chat.model_copy(update={"read_at": read_at, "unread_since": None, "emails_sent": 0, "last_email_at": None})


def email_due(chat: ChatRecord, now: datetime) -> bool:
    if chat.unread_since is None or chat.emails_sent >= MAX_EMAILS or now - chat.unread_since < FIRST_EMAIL_AFTER:
        return False
    return chat.last_email_at is None or now - chat.last_email_at >= EMAIL_INTERVAL


def unread(chat: ChatRecord) -> UnreadReplies:
    assert chat.unread_since is not None
    return UnreadReplies(
        user_id=chat.user_id,
        unread_since=chat.unread_since,
        emails_sent=chat.emails_sent,
        last_email_at=chat.last_email_at,
    )


def agent_message_id(front_message_id: str) -> str:
    """The document id of a team reply: derived from Front's message id, so a redelivered webhook finds it."""
    return "agent-" + hashlib.sha256(front_message_id.encode()).hexdigest()[:32]


def sends_allowed(recent: list[float], now: float) -> tuple[bool, list[float]]:
    """Sliding window per socket: (allowed, the send times to keep)."""
    kept = [sent for sent in recent if sent > now - SEND_WINDOW.total_seconds()]
    if len(kept) >= SENDS_PER_WINDOW:
        return False, kept
    return True, [*kept, now]
