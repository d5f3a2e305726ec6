"""Transactions that record domain events (the outbox) with the change, and publish them after commit."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast

from pydantic import BaseModel

from bloom.core.errors import BloomError
from bloom.core.time import utcnow
from bloom.platform.store import outbox
from bloom.platform.store.client import count_round_trip, db
from bloom.platform.topics import Topic

if TYPE_CHECKING:
    from google.cloud.firestore import DocumentReference, Transaction


T = TypeVar("T")
P = TypeVar("P", bound=BaseModel)


class DuplicateDocument(Exception):
    """A document the transaction `create`d already existed: a uniqueness claim was taken first."""


class TransactionContention(BloomError):
    """Too many concurrent changes to the same documents: every attempt was aborted. Safe to retry later."""

    status_code = 503


class UnitOfWork:
    """One attempt at a transaction: reads go through repositories with `.transaction`, writes through here."""

    def __init__(self, transaction: Transaction) -> None:
        self.transaction = transaction
        self.events: list[outbox.OutboxEntry] = []

    def create(self, ref: DocumentReference, data: dict[str, Any]) -> None:
        self.transaction.create(ref, data)

    def set(self, ref: DocumentReference, data: dict[str, Any], merge: bool = False) -> None:
        self.transaction.set(ref, data, merge=merge)

    def update(self, ref: DocumentReference, data: dict[str, Any]) -> None:
        self.transaction.update(ref, data)

    def delete(self, ref: DocumentReference) -> None:
        self.transaction.delete(ref)

    def emit(self, topic: Topic[P], payload: P) -> str:
        """Record an event in this transaction; it is published once the transaction commits."""
        if not isinstance(payload, topic.payload):
            raise TypeError(f"{topic.name} carries {topic.payload.__name__}, not {type(payload).__name__}")
        now = utcnow()
        entry = outbox.OutboxEntry(
            id=str(uuid.uuid4()),
            topic=topic.name,
            data=payload.model_dump_json(by_alias=True),
            created_at=now,
            published_at=None,
            expire_at=now + outbox.RETENTION,
        )
        self.transaction.create(outbox.ref(entry.id), outbox.to_doc(entry))
        self.events.append(entry)
        return entry.id


def run_in_transaction(work: Callable[[UnitOfWork], T], *, max_attempts: int = 5) -> T:
    """Run `work` in a Firestore transaction (retried on contention), then publish the events it emitted.

    A `create` of a document that exists by commit time raises `DuplicateDocument`; contention that outlasts
    every attempt raises `TransactionContention` (503), never a bare error that would surface as a 500.
    """
    from google.cloud import firestore

    attempts: list[UnitOfWork] = []

    @firestore.transactional
    def attempt(transaction: Transaction) -> T:
        unit = UnitOfWork(transaction)
        attempts.append(unit)
        count_round_trip(2)  # begin + commit
        return work(unit)

    from google.api_core.exceptions import Aborted, AlreadyExists

    try:
        result = cast(T, attempt(db().transaction(max_attempts=max_attempts)))
    except AlreadyExists as exc:
        raise DuplicateDocument(str(exc)) from exc
    except ValueError as exc:  # how the client reports that every attempt was aborted
        if isinstance(exc.__cause__, Aborted):
            raise TransactionContention("Too many simultaneous changes; please try again") from exc
        raise
    committed = attempts[-1]
    if committed.events:
        outbox.publish_entries(committed.events)
    return result


def expiry(days: int) -> Any:
    return utcnow() + timedelta(days=days)
