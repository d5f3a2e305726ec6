"""Fixed-window request counters, one document per (hashed key, window), shared by every function instance."""

from __future__ import annotations

from datetime import datetime

from bloom.models.base import CamelModel
from bloom.store.client import count_round_trip
from bloom.store.indexes import ttl_field
from bloom.store.repository import Repository

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
