"""Messaging's stored records and the rules that need no I/O: ids, hashes, cursors, and the moderation passes.

Moderation is a pipeline of pure functions: `deterministic_pass(text)` (contact details blurred, profanity
masked, crisis language flagged), then `with_model_verdict(verdict, categories)` for the optional model pass.
The vocabulary of a support service for survivors is not profanity: words such as "sexual", "rape" or "naked"
are whitelisted, so a survivor can say what happened to them.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from pydantic import Field

from bloom.core.models import CamelModel
from bloom.messaging.schemas import Attachment, Message, Moderation, ModerationState, Thread, ThreadKind

if TYPE_CHECKING:
    from better_profanity.better_profanity import Profanity

EDIT_WINDOW = timedelta(minutes=15)
PREVIEW_MAX = 120
MAX_REACTIONS = 20
CONTACT_MASK = "[contact details hidden]"


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


def encode_cursor(at: datetime, doc_id: str) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{doc_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, doc_id = raw.split("|", 1)
        parsed = datetime.fromisoformat(at)
    except (ValueError, UnicodeDecodeError):
        return None
    return (parsed, doc_id) if doc_id and parsed.tzinfo is not None else None


_EMOJI_CATEGORIES = frozenset({"So", "Sk", "Mn", "Me", "Cf"})


def is_emoji(value: str) -> bool:
    """One short run of symbol characters (with joiners, selectors and modifiers): no letters, digits or spaces."""
    import unicodedata

    return (
        0 < len(value) <= 16
        and any(unicodedata.category(c) == "So" for c in value)
        and all(unicodedata.category(c) in _EMOJI_CATEGORIES for c in value)
    )


# ---------------------------------------------------------------- moderation

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
_LINK = re.compile(
    r"\b(?:https?://|www\.)\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|uk|me|app|info|biz|ly|gg|tv)"
    r"(?:/\S*)?\b",
    re.IGNORECASE,
)
# 9 to 15 digits, with spaces, dots, dashes or brackets between them, optionally after a +: phone numbers, but
# not dates (8 digits), times, prices or short counts.
_PHONE = re.compile(r"(?<![\w+])\+?\d(?:[\s().-]{0,2}\d){8,14}(?!\w)")
_CRISIS = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\b(?:kill|hurt|harm|cut|hang|starve|poison)(?:ing)?\s+(?:my\s*self|myself)\b",
        r"\bsuicid\w*",
        r"\bself[\s-]?harm\w*",
        r"\b(?:end|take|ending|taking)\s+(?:my|my\s+own)\s+life\b",
        r"\b(?:want|wanted|going|ready)\s+to\s+die\b",
        r"\b(?:don'?t|do\s+not|no\s+longer)\s+want\s+to\s+(?:live|be\s+alive|be\s+here)\b",
        r"\bbetter\s+off\s+dead\b",
        r"\bno\s+reason\s+to\s+(?:live|go\s+on)\b",
        r"\boverdos\w*",
    )
]
# Words a survivor needs to describe what happened, and everyday phrases ("kill time"), that profanity lists
# carry: never masked.
THERAPY_VOCABULARY = (
    "sexual", "sexually", "sex", "rape", "raped", "rapist", "naked", "nude", "penis", "vagina", "breasts", "anal",
    "oral", "kill", "killed", "killing", "drunk", "drugged", "porn", "pornography", "abuse", "abused", "molest",
    "molested", "incest", "genitals", "erection", "orgasm", "strip", "stripped", "hell", "damn", "crap",
)  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    state: ModerationState
    reasons: tuple[str, ...]
    delivered: str  # what recipients get
    flagged_for_safety: bool = False

    def moderation(self) -> Moderation:
        return Moderation(state=self.state, reasons=list(self.reasons))


@lru_cache(maxsize=1)
def _profanity() -> Profanity:
    from better_profanity import Profanity as Filter

    words = Filter()
    words.load_censor_words(whitelist_words=list(THERAPY_VOCABULARY))
    return words


def _state(reasons: tuple[str, ...], *, blocked: bool, flagged: bool, blurred: bool) -> ModerationState:
    if blocked:
        return "blocked"
    if flagged:
        return "flagged"
    return "blurred" if blurred else "clean"


def blur_contact_details(text: str) -> tuple[str, bool]:
    blurred = text
    for pattern in (_EMAIL, _LINK, _PHONE):
        blurred = pattern.sub(CONTACT_MASK, blurred)
    return blurred, blurred != text


def is_crisis(text: str) -> bool:
    return any(pattern.search(text) for pattern in _CRISIS)


def deterministic_pass(text: str) -> Verdict:
    """Contact details (phone numbers, emails, links) blurred; profanity masked; crisis language flagged for the
    safety team and never blurred."""
    reasons: list[str] = []
    delivered, contact = blur_contact_details(text)
    if contact:
        reasons.append("contact_details")
    censored = _profanity().censor(delivered)
    profane = censored != delivered
    if profane:
        reasons.append("profanity")
        delivered = censored
    crisis = is_crisis(text)
    if crisis:
        reasons.append("crisis")
    state = _state(tuple(reasons), blocked=False, flagged=crisis, blurred=contact or profane)
    return Verdict(state, tuple(reasons), delivered, flagged_for_safety=crisis)


# The model pass's categories (OpenAI moderation): self-harm is a crisis (flagged for the safety team), a
# threat is flagged too, hate speech is blocked. Sexual content and violence are what survivors talk about in
# therapy: recorded in the reasons, never held back.
_MODEL_CRISIS = ("self-harm", "self-harm/intent", "self-harm/instructions")
_MODEL_FLAG = ("harassment/threatening", "violence/threatening")
_MODEL_BLOCK = ("hate", "hate/threatening")


def with_model_verdict(verdict: Verdict, categories: dict[str, bool]) -> Verdict:
    """Combine the deterministic verdict with the model's flagged categories."""
    hits = sorted(name for name, hit in categories.items() if hit)
    if not hits:
        return verdict
    reasons = list(verdict.reasons) + [f"model:{name}" for name in hits]
    crisis = verdict.flagged_for_safety or any(name in _MODEL_CRISIS for name in hits)
    if crisis and "crisis" not in reasons:
        reasons.append("crisis")
    flagged = crisis or any(name in _MODEL_FLAG for name in hits)
    blocked = any(name in _MODEL_BLOCK for name in hits)
    state = _state(tuple(reasons), blocked=blocked, flagged=flagged, blurred=verdict.state == "blurred")
    return Verdict(state, tuple(reasons), verdict.delivered, flagged_for_safety=flagged)
