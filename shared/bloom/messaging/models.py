"""Messaging's stored records and the rules that need no I/O: ids, hashes, previews, the edit window and the
safety team's alert windows. (The moderation passes are in `moderation`.)"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from pydantic import Field

from bloom.core.models import CamelModel
from bloom.messaging.schemas import Attachment, Message, Moderation, Thread, ThreadKind

EDIT_WINDOW = timedelta(minutes=15)
PREVIEW_MAX = 120
MAX_REACTIONS = 20
SAFETY_ALERT_WINDOW = timedelta(minutes=10)


class ThreadRecord(CamelModel):
    id: str
    kind: ThreadKind
    participant_ids: list[str]
    participant_uids: list[str]  # the Firebase uids, for the security rules
    assignment_id: str | None = None
    read_only: bool = False
    created_at: datetime
    last_message_at: datetime
    last_message_preview: str = ""
    last_message_sender_id: str | None = None
    read_by: dict[str, str] = Field(default_factory=dict)

    def out(self) -> Thread:
        return Thread.model_validate(self.model_dump(include=set(Thread.model_fields)))


class MessageRecord(CamelModel):
    """`threads/{threadId}/messages/{id}`: what participants receive (the delivered text)."""

    id: str
    thread_id: str
    sender_id: str
    client_message_id: str
    text: str
    moderation: Moderation
    attachments: list[Attachment] = Field(default_factory=list)
    reactions: dict[str, list[str]] = Field(default_factory=dict)
    created_at: datetime
    edited_at: datetime | None = None
    deleted_at: datetime | None = None
    sender_erased: bool = False

    def out(self, text: str | None = None) -> Message:
        shown = self.model_dump(include=set(Message.model_fields) - {"text"})
        return Message.model_validate({**shown, "text": self.text if text is None else text})


class OriginalRecord(CamelModel):
    """`messageOriginals/{id}` (server only): the sender's own text of a blurred or blocked message. A blocked
    message has no document in the thread: `message` is its whole record, shown to the sender alone."""

    id: str
    thread_id: str
    sender_id: str
    text: str
    message: MessageRecord | None = None


def message_id(thread_id: str, sender_uid: str, client_message_id: str) -> str:
    """The id a (thread, sender, clientMessageId) always gets: a retry or a concurrent duplicate names the same
    document, so at most one is ever created."""
    key = f"{thread_id}\n{sender_uid}\n{client_message_id}".encode()
    return hashlib.sha256(key).hexdigest()[:40]


def sha256_hex(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode()).hexdigest()


def care_thread_id(assignment_id: str) -> str:
    return f"care-{assignment_id}"


def support_thread_id(user_id: str) -> str:
    return f"support-{user_id}"


def preview(text: str) -> str:
    return text if len(text) <= PREVIEW_MAX else text[: PREVIEW_MAX - 1] + "…"


def within_edit_window(created_at: datetime, now: datetime) -> bool:
    return now - created_at <= EDIT_WINDOW


_EMOJI_CATEGORIES = frozenset({"So", "Sk", "Mn", "Me", "Cf"})


def is_emoji(value: str) -> bool:
    """One short run of symbol characters (with joiners, selectors and modifiers): no letters, digits or spaces."""
    import unicodedata

    return (
        0 < len(value) <= 16
        and any(unicodedata.category(c) == "So" for c in value)
        and all(unicodedata.category(c) in _EMOJI_CATEGORIES for c in value)
    )


# ---------------------------------------------------------------- presence


class PresenceViewers(CamelModel):
    """`presenceViewers/{uid}` (server only): the uids of everyone who shares a thread with `uid`. The security
    rules let exactly them (and `uid`) read `presence/{uid}`."""

    viewer_uids: list[str] = Field(default_factory=list)


# ---------------------------------------------------------------- the safety team's alerts


class SafetyAlertWindow(CamelModel):
    """`safetyAlerts/{threadId}` (server only): a thread's current alert window. The first flagged message
    after a window closes is announced at once and opens the next one; flagged messages within the window are
    held back (counted), and their number reaches the team once the window closes: in a follow-up alert, or in
    the alert of the next flagged message if that comes first. Ids only, never text."""

    opened_at: datetime  # when the message announced by this window's alert was flagged
    alert_message_id: str
    alert_sent: bool = False  # Slack took the alert (a redelivery before that sends it again)
    held_back_ids: list[str] = Field(default_factory=list)  # flagged within the window, not announced
    carried: int = 0  # held back in the window before, announced with this window's alert
    reported_held_back: int = 0  # how many of `held_back_ids` a follow-up has announced
    # When a follow-up for the unreported held-back flags is due (the window's close; a lease later while one
    # is being sent); None when there is nothing to report.
    follow_up_due_at: datetime | None = None

    def closes_at(self) -> datetime:
        return self.opened_at + SAFETY_ALERT_WINDOW

    def unreported(self) -> int:
        return len(self.held_back_ids) - self.reported_held_back


def next_safety_window(
    window: SafetyAlertWindow | None, message_id: str, flagged_at: datetime
) -> tuple[SafetyAlertWindow, bool]:
    """The thread's window after a flagged message, and whether the message's alert is (still) to be sent.
    Idempotent: a redelivered message changes nothing and is sent only if its alert has not gone out. A message
    held back makes the window's follow-up due when it closes (a late delivery after the follow-up: at once)."""
    if window is not None:
        if message_id == window.alert_message_id:
            return window, not window.alert_sent
        if message_id in window.held_back_ids:
            return window, False
        if flagged_at < window.closes_at():
            due = window.follow_up_due_at or window.closes_at()
            held_back = [*window.held_back_ids, message_id]
            return window.model_copy(update={"held_back_ids": held_back, "follow_up_due_at": due}), False
    carried = window.unreported() if window is not None else 0
    return SafetyAlertWindow(opened_at=flagged_at, alert_message_id=message_id, carried=carried), True


SAFETY_FOLLOW_UP_LEASE = timedelta(minutes=2)


class SafetyFollowUp(CamelModel):
    """A follow-up alert claimed for sending: the window's alert it follows, how many held-back flags it
    announces, and how many of the window's held-back ids are reported once Slack takes it."""

    alert_message_id: str
    held_back: int
    reported_through: int


def claim_safety_follow_up(window: SafetyAlertWindow, now: datetime) -> tuple[SafetyAlertWindow, SafetyFollowUp | None]:
    """The window after a follow-up job looked at it at `now`, and the follow-up to send, if one is due. A claimed
    follow-up pushes the due time a lease ahead, so a concurrent run leaves it alone and one that never finished
    (Slack down, a crash) is sent again once the lease is over."""
    due = window.follow_up_due_at
    if due is None or due > now:
        return window, None
    if window.unreported() <= 0:
        return window.model_copy(update={"follow_up_due_at": None}), None
    claimed = window.model_copy(update={"follow_up_due_at": now + SAFETY_FOLLOW_UP_LEASE})
    follow_up = SafetyFollowUp(
        alert_message_id=window.alert_message_id,
        held_back=window.unreported(),
        reported_through=len(window.held_back_ids),
    )
    return claimed, follow_up


def safety_follow_up_sent(window: SafetyAlertWindow, follow_up: SafetyFollowUp) -> SafetyAlertWindow:
    """The window once Slack took its follow-up: those flags are reported, and one held back since the claim (a
    late delivery) makes the next follow-up due at once. A newer window (the thread's next alert opened it and
    carried the count) is left as it is."""
    if window.alert_message_id != follow_up.alert_message_id:
        return window
    reported = max(window.reported_held_back, follow_up.reported_through)
    due = window.closes_at() if reported < len(window.held_back_ids) else None
    return window.model_copy(update={"reported_held_back": reported, "follow_up_due_at": due})
