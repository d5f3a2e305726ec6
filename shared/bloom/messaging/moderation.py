"""Moderation of a message's text, on send and edit, before anything is stored.

A pipeline of pure functions: `deterministic_pass(text)` (contact details blurred, profanity masked, crisis
language flagged), then `with_model_verdict(verdict, categories)` for the optional model pass; `moderate(text)`
runs both (the model pass is a network call, see `openai`). The vocabulary of a support service for survivors
is not profanity: words such as "sexual", "rape" or "naked" are whitelisted, so a survivor can say what
happened to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from bloom.messaging import openai
from bloom.messaging.schemas import ModelPass, Moderation, ModerationState

if TYPE_CHECKING:
    from better_profanity.better_profanity import Profanity

CONTACT_MASK = "[contact details hidden]"

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


def moderate(text: str) -> tuple[Verdict, ModelPass]:
    """The deterministic pass, then the model pass when it is configured; how the model pass went."""
    verdict = deterministic_pass(text)
    if not openai.enabled():
        return verdict, "off"
    categories = openai.flagged_categories(text)
    if categories is None:
        return verdict, "failed"
    return with_model_verdict(verdict, categories), "ok"
