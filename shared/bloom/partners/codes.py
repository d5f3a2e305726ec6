"""Partner access codes: format, generation, expiry and the order of the checks (no I/O).

A code is six characters from A-Z and 0-9, drawn from the OS CSPRNG. It is compared case-insensitively:
every input is upper-cased before anything else. The checks run in the order the API contract fixes,
and the first failing one decides the answer.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

CODE_LENGTH = 6
ALPHABET = string.ascii_uppercase + string.digits
CODE_PATTERN = re.compile(rf"[A-Z0-9]{{{CODE_LENGTH}}}")
VALIDITY_YEARS = 1


class CodeProblem(StrEnum):
    """Why a code cannot be used; the value is the message the frontend matches."""

    INVALID_CODE = "INVALID_CODE"
    DOES_NOT_EXIST = "DOES_NOT_EXIST"
    INACTIVE = "INACTIVE"
    ALREADY_APPLIED = "ALREADY_APPLIED"
    ALREADY_IN_USE = "ALREADY_IN_USE"
    CODE_EXPIRED = "CODE_EXPIRED"

    @property
    def status_code(self) -> int:
        return 409 if self in (CodeProblem.ALREADY_APPLIED, CodeProblem.ALREADY_IN_USE) else 400


@dataclass(frozen=True)
class CodeFacts:
    """What the checks need to know about an existing code and its partner."""

    active: bool
    partner_active: bool
    assigned_user_id: str | None
    redeemed: bool  # ever assigned, even if the user has since been erased
    created_at: datetime


def generate_code() -> str:
    """A fresh code from the OS CSPRNG (uniqueness is enforced by the store, not here)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str:
    """Upper-case an input code. Non-ASCII input is left as it is, so it fails the format check instead of
    being folded into ASCII by Unicode case rules (e.g. the dotless i, U+0131, upper-cases to I)."""
    code = raw.strip()
    return code.upper() if code.isascii() else code


def is_well_formed(code: str) -> bool:
    return CODE_PATTERN.fullmatch(code) is not None


def expires_at(created_at: datetime) -> datetime:
    """One calendar year after creation; a code made on 29 February expires on 28 February."""
    try:
        return created_at.replace(year=created_at.year + VALIDITY_YEARS)
    except ValueError:
        return created_at.replace(year=created_at.year + VALIDITY_YEARS, day=28)


def is_expired(created_at: datetime, now: datetime) -> bool:
    return now > expires_at(created_at)


def code_problem(code: str, facts: CodeFacts | None, caller_user_id: str | None, now: datetime) -> CodeProblem | None:
    """The first check a (normalised) code fails, in the contract's order, or None if it can be redeemed.

    `caller_user_id` is None when nobody is signed in (validate-code): an assigned code is then in use.
    """
    if not is_well_formed(code):
        return CodeProblem.INVALID_CODE
    if facts is None:
        return CodeProblem.DOES_NOT_EXIST
    if not facts.active or not facts.partner_active:
        return CodeProblem.INACTIVE
    if caller_user_id is not None and facts.assigned_user_id == caller_user_id:
        return CodeProblem.ALREADY_APPLIED
    if facts.redeemed or facts.assigned_user_id is not None:
        return CodeProblem.ALREADY_IN_USE
    if is_expired(facts.created_at, now):
        return CodeProblem.CODE_EXPIRED
    return None
