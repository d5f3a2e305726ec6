"""The calendar area's stored records and the rules that need no I/O: feed tokens (only their hash is stored) and
the events a feed lists."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from bloom.core.models import CamelModel

FEED_SUFFIX = ".ics"
TOKEN_BYTES = 32


class FeedRecord(CamelModel):
    """`calendarFeeds/{tokenHash}`: whose feed the token opens. Looked up by the token's hash, so the token itself
    is stored nowhere and a lookup compares no secret."""

    user_id: str
    created_at: datetime


class FeedOwner(CamelModel):
    """`calendarFeedOwners/{userId}`: the hash of the user's current token, so a rotation deletes the old one."""

    token_hash: str


class FeedEvent(CamelModel):
    """One appointment as a feed lists it: times, the join link and whether it was cancelled; nothing else."""

    appointment_id: str
    start: datetime
    end: datetime
    join_url: str | None
    cancelled: bool
    changed_at: datetime  # DTSTAMP: when the appointment last changed as far as the feed shows


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """The stored key of a token: a SHA-256 (the token is 256 random bits, so no salt or stretching is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_of_feed(feed_name: str) -> str | None:
    """The token in a feed's file name (`{token}.ics`), or None for any other name."""
    token = feed_name.removesuffix(FEED_SUFFIX)
    return token if feed_name.endswith(FEED_SUFFIX) and token else None
