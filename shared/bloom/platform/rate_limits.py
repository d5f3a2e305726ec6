"""Rate limiting with fixed windows counted in Firestore, so a limit holds across every function instance.

Routes declare their limits (`@http_function(..., rate_limit="10/minute per ip")`), parsed here into `RateLimit`.
The HTTP toolkit counts each call with `start_rate_limits` under a key naming the function and the caller's IP
(before authentication) or Firebase uid (after it). Keys are hashed (sha256) before they are stored, so no IP
address reaches the database or the logs.

The count is an atomic server-side increment rather than a read-then-write transaction: it is just as exact
(each call gets its own count, so racing callers never get more than `limit` through), costs one round trip
instead of three, and does not fail when many requests for one key arrive at once — which is exactly when a
rate limiter must keep working (in the emulator, four concurrent transactions on one counter already exhaust
their commit retries). Refused calls are counted too, which only keeps an abusive caller refused.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Literal

from bloom.core.errors import TooManyRequests
from bloom.core.logging import get_logger
from bloom.core.models import CamelModel
from bloom.core.time import utcnow
from bloom.platform.store.client import count_round_trip
from bloom.platform.store.indexes import ttl_field
from bloom.platform.store.repository import Repository
from bloom.platform.store.request_checks import start_check
from bloom.platform.store.unit_of_work import UnitOfWork

THROTTLED_MESSAGE = "ThrottlerException: Too Many Requests"
WINDOWS_S = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_GRAMMAR = re.compile(r"([1-9][0-9]*)/(second|minute|hour|day) per (ip|user)")
# A refusal once the window's count passes this multiple of the limit is logged as abuse (once per window).
ABUSE_FACTOR = 2
# Kept a little after the window closes; Firestore's TTL policy deletes the document some time after that.
EXPIRY_GRACE = timedelta(minutes=5)
_log = get_logger(__name__)
Clock = Callable[[], datetime]
"""Where the current time comes from: `utcnow` in production; tests pass a fixed instant instead of waiting for a
new window (`HttpHandler(clock=...)`, the local gateway's test-only `PUT /_/rate-limit-clock`)."""


@dataclass(frozen=True)
class RateLimit:
    """One declared limit: at most `limit` calls per `window_s` seconds for each caller IP, or each signed-in user."""

    limit: int
    window_s: int
    per: Literal["ip", "user"]

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """`"<N>/<second|minute|hour|day> per <ip|user>"`, e.g. `"10/minute per ip"`."""
        match = _GRAMMAR.fullmatch(text)
        if match is None:
            raise ValueError(f"rate limit {text!r} is not '<N>/<second|minute|hour|day> per <ip|user>'")
        count, unit, per = match.groups()
        return cls(int(count), WINDOWS_S[unit], "ip" if per == "ip" else "user")

    def __str__(self) -> str:
        unit = next(name for name, seconds in WINDOWS_S.items() if seconds == self.window_s)
        return f"{self.limit}/{unit} per {self.per}"


def start_rate_limits(function: str, limits: Sequence[RateLimit], subject: str, clock: Clock = utcnow) -> None:
    """Count one call of `function` by `subject` (the caller's IP or uid, as the limits say) against each limit.

    Each count runs alongside the request (`request_checks.start_check`): the request's reads overlap it, and its
    first side effect waits for the verdict, so a refused call (429) writes nothing. Each function and each kind
    of subject has its own buckets.
    """
    for rate_limit in limits:
        key = f"{function}:{rate_limit.per}:{subject}"
        start_check(partial(check_rate_limit, key, rate_limit.limit, rate_limit.window_s, now=clock()))


def window_doc_id(key: str, window_s: int, window_start: int) -> str:
    """The counter document of one key in one window: the key's hash, never the key."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{digest}-{window_s}s-{window_start}"


def check_rate_limit(key: str, limit: int, window_s: int, *, now: datetime | None = None) -> None:
    """Count one call for `key`; raise TooManyRequests (429, with the seconds until the window ends) when more
    than `limit` calls fall in this window.

    Windows are fixed: they start at multiples of `window_s` seconds since the epoch (UTC). Each refusal logs a
    warning; the one that takes the window past `ABUSE_FACTOR` times the limit logs an error with
    `rateLimitAbuse: true` instead, for alerting. The key is never logged.
    """
    if limit < 1 or window_s < 1:
        raise ValueError("limit and window_s must be positive")
    epoch_s = int((now or utcnow()).timestamp())
    start = epoch_s - epoch_s % window_s
    window_start = datetime.fromtimestamp(start, UTC)
    count = (
        UnitOfWork()
        .bind(RateLimitsRepository)
        .increment(
            window_doc_id(key, window_s, start),
            window_start=window_start,
            expire_at=window_start + timedelta(seconds=window_s) + EXPIRY_GRACE,
        )
    )
    if count <= limit:
        return
    fields = {"limit": limit, "window_s": window_s}
    if count == ABUSE_FACTOR * limit + 1:
        _log.error("rate limit abuse: refused repeatedly in one window", extra={**fields, "rateLimitAbuse": True})
    else:
        _log.warning("rate limit reached", extra=fields)
    raise TooManyRequests(THROTTLED_MESSAGE, retry_after_s=start + window_s - epoch_s)


COLLECTION = "rateLimits"
EXPIRE_AT = ttl_field(COLLECTION, "expireAt")


class RateLimitWindow(CamelModel):
    """How many calls one key made in one window. The key itself is not stored: the document id is its hash."""

    count: int
    window_start: datetime
    expire_at: datetime


class RateLimitsRepository(Repository[RateLimitWindow]):
    collection_name = COLLECTION
    model = RateLimitWindow

    def increment(self, doc_id: str, window_start: datetime, expire_at: datetime) -> int:
        """Count one call in the window atomically and return the window's count including it.

        One write with a server-side increment transform: Firestore applies concurrent increments one after
        another and returns each write's own result, so no two callers see the same count. Unlike a
        read-then-write transaction, this costs one round trip and cannot abort under contention.
        """
        from google.cloud.firestore import Increment

        count_round_trip()
        result = self.ref(doc_id).set(
            {"count": Increment(1), "windowStart": window_start, EXPIRE_AT: expire_at},
            merge=True,
        )
        count: int = result.transform_results[0].integer_value
        return count
