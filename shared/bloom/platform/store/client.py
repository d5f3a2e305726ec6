"""One Firestore client per process, created on first use; emulator-aware through FIRESTORE_EMULATOR_HOST.

It also counts a request's round trips: the waits on Firestore one after another (`X-Bloom-Firestore-Round-Trips`),
where a round trip made while a background one is in flight (the rate limiter's counter, see
`bloom.platform.store.request_checks`) overlaps it and costs no extra wait.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

from bloom.core.settings import get_settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client


_client: Client | None = None


class RoundTrips:
    """The sequential Firestore waits of one request."""

    def __init__(self) -> None:
        self.count = 0
        self._background_in_flight = False  # a background round trip no foreground one has overlapped yet

    def add(self, calls: int) -> None:
        """`calls` round trips, one after another; the first overlaps a background one still in flight."""
        if self._background_in_flight:
            self._background_in_flight = False
            calls -= 1
        self.count += calls

    def add_background(self) -> None:
        """A round trip started without waiting for it; it overlaps one already in flight."""
        if not self._background_in_flight:
            self.count += 1
            self._background_in_flight = True

    def background_awaited(self) -> None:
        """The request waited for its background round trips: later ones no longer overlap them."""
        self._background_in_flight = False


_round_trips: ContextVar[RoundTrips | None] = ContextVar("bloom_round_trips", default=None)


def db() -> Client:
    global _client
    if _client is None:
        from google.cloud import firestore

        _client = firestore.Client(project=get_settings().project_id)
    return _client


def count_round_trip(calls: int = 1) -> None:
    """Repositories call this once per request they send, so a request can report its cost."""
    counter = _round_trips.get()
    if counter is not None:
        counter.add(calls)


def round_trip_count() -> RoundTrips | None:
    """The current request's count, if one is being kept."""
    return _round_trips.get()


def start_round_trip_count() -> RoundTrips:
    counter = RoundTrips()
    _round_trips.set(counter)
    return counter


def stop_round_trip_count() -> None:
    """Count nothing more in this context (a background check's thread: the request counts its round trip)."""
    _round_trips.set(None)
