"""Moderation rules on a table of real-world-like messages, the false-positive traps included."""

from __future__ import annotations

import pytest

from bloom.messaging.moderation import CONTACT_MASK, deterministic_pass, with_model_verdict

CASES = [
    # (text, state, reasons)
    ("Hi, is Tuesday at 3pm still OK for our session?", "clean", []),
    ("I grew up in Scunthorpe and moved to Essex", "clean", []),
    ("We talked about sexual abuse and how it still affects me", "clean", []),
    ("He raped me when I was 19 and I never told anyone", "clean", []),
    ("I was made to pose naked, it still makes me feel sick", "clean", []),
    ("Just trying to kill time before the appointment", "clean", []),
    ("That workout nearly killed me haha", "clean", []),
    ("My appointment is on 2025-03-14 at 10:30 and costs £1,200", "clean", []),
    ("I've been feeling better since week 3", "clean", []),
    ("Call me on 07700 900123 after work", "blurred", ["contact_details"]),
    ("my number is +44 7700 900 123", "blurred", ["contact_details"]),
    ("US cell (415) 555-2671", "blurred", ["contact_details"]),
    ("email me: sam.taylor+bloom@example.co.uk", "blurred", ["contact_details"]),
    ("find me at https://instagram.com/someone", "blurred", ["contact_details"]),
    ("or www.example.org/profile", "blurred", ["contact_details"]),
    ("add me on snapchat.com/add/sam", "blurred", ["contact_details"]),
    ("he is a fucking bastard", "blurred", ["profanity"]),
    ("I want to kill myself", "flagged", ["crisis"]),
    ("Sometimes I think everyone would be better off dead without me", "flagged", ["crisis"]),
    ("I've been self-harming again", "flagged", ["crisis"]),
    ("I don't want to live anymore", "flagged", ["crisis"]),
    ("thinking about suicide a lot", "flagged", ["crisis"]),
    ("I took an overdose last year", "flagged", ["crisis"]),
    ("I want to end my life, call me 07700 900123", "flagged", ["contact_details", "crisis"]),
]


@pytest.mark.parametrize(("text", "state", "reasons"), CASES, ids=[c[0][:40] for c in CASES])
def test_the_deterministic_pass(text: str, state: str, reasons: list[str]) -> None:
    verdict = deterministic_pass(text)
    assert (verdict.state, list(verdict.reasons)) == (state, reasons)
    assert verdict.flagged_for_safety == (state == "flagged")
    if state == "clean":
        assert verdict.delivered == text


def test_contact_details_are_blurred_and_the_rest_kept() -> None:
    verdict = deterministic_pass("ring 07700 900123 or sam@example.com tonight")
    assert verdict.delivered == f"ring {CONTACT_MASK} or {CONTACT_MASK} tonight"


def test_crisis_language_is_never_blurred() -> None:
    text = "I want to kill myself"
    assert deterministic_pass(text).delivered == text


def test_the_model_verdict_blocks_hate_flags_threats_and_self_harm_and_keeps_therapy_topics() -> None:
    base = deterministic_pass("some words")
    assert with_model_verdict(base, {"hate": True}).state == "blocked"
    threat = with_model_verdict(base, {"harassment/threatening": True})
    assert (threat.state, threat.flagged_for_safety) == ("flagged", True)
    harm = with_model_verdict(base, {"self-harm/intent": True})
    assert (harm.state, harm.reasons) == ("flagged", ("model:self-harm/intent", "crisis"))
    topics = with_model_verdict(base, {"sexual": True, "violence": True})
    assert (topics.state, topics.reasons) == ("clean", ("model:sexual", "model:violence"))
    assert with_model_verdict(base, {"hate": False}) == base
    blurred = with_model_verdict(deterministic_pass("sam@example.com"), {"violence": True})
    assert blurred.state == "blurred" and blurred.delivered == CONTACT_MASK
