"""Account rules that need no I/O: weak passwords, Cypress test emails, the once-a-day activity stamp."""

from __future__ import annotations

from datetime import datetime

PASSWORD_MIN = 8
PASSWORD_MAX = 128


def is_weak_password(password: str) -> bool:
    """Shorter than 8 characters, or on the common-password list (compared case-insensitively)."""
    if len(password) < PASSWORD_MIN:
        return True
    from bloom.accounts.common_passwords import COMMON_PASSWORDS

    return password.lower() in COMMON_PASSWORDS


def is_new_active_day(last_active_at: datetime | None, now: datetime) -> bool:
    """`lastActiveAt` is recorded at most once per (UTC) day."""
    return last_active_at is None or last_active_at.date() != now.date()
