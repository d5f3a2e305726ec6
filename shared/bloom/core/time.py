"""The one clock: timezone-aware UTC, and the type that brings a caller's time to it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_utc(value: datetime) -> datetime:
    """A time without an offset is read as UTC; one whose UTC equivalent falls outside what a datetime holds
    (`0001-01-01T00:00:00+05:00`) is a validation error, not an OverflowError deeper down (Firestore's encoder)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range") from None


UtcDateTime = Annotated[datetime, AfterValidator(to_utc)]
"""A datetime from outside (a body, a cursor), in UTC."""
