"""One Firestore client per process, created on first use; emulator-aware through FIRESTORE_EMULATOR_HOST."""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

from bloom.core.settings import get_settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client


_client: Client | None = None
_round_trips: ContextVar[list[int] | None] = ContextVar("bloom_round_trips", default=None)


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
        counter[0] += calls


def start_round_trip_count() -> list[int]:
    counter = [0]
    _round_trips.set(counter)
    return counter
