"""The unit of work: one use case's reads, writes and events, through one object.

Each area declares its unit of work with the repositories it owns:

    class PartnersWork(UnitOfWork):
        partners = repository(PartnersRepository)

and its services use it in one of two ways:
- `with PartnersWork() as uow:` reads straight away and buffers writes and events; leaving the block commits
  them atomically (one batched write) and then publishes the events. For reads, and for writes that need no
  read-then-write consistency.
- `PartnersWork.run_in_transaction(work)`: `work(uow)` runs in a Firestore transaction (retried on
  contention): reads join the transaction, writes and events commit with it, events are published after.

An area that takes part in another area's use case joins that unit: `PartnersWork.join(uow)` gives a view
with the partners repositories over the same transaction, writes and events.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, cast, overload

from pydantic import BaseModel

from bloom.core.errors import ErrorCatalogue, ServiceUnavailable
from bloom.core.time import utcnow
from bloom.platform.store import outbox
from bloom.platform.store.client import count_round_trip, db
from bloom.platform.store.repository import Repository, is_valid_doc_id
from bloom.platform.store.request_checks import settle_checks
from bloom.platform.topics import Topic

if TYPE_CHECKING:
    from google.cloud.firestore import DocumentReference, Transaction, WriteBatch
    from google.cloud.firestore_v1.field_path import FieldPath

T = TypeVar("T")
P = TypeVar("P", bound=BaseModel)
RepoT = TypeVar("RepoT", bound=Repository[Any])
ModelT = TypeVar("ModelT", bound=BaseModel)


class DuplicateDocument(Exception):
    """A document the unit `create`d already existed: a uniqueness claim was taken first."""


ERRORS = ErrorCatalogue("store")
CONTENTION = ERRORS.declare(503, "Too many simultaneous changes; please try again")


class TransactionContention(ServiceUnavailable):
    """Too many concurrent changes to the same documents: every attempt was aborted. Safe to retry later."""


class Fetched:
    """Documents of several collections read in one round trip, looked up by (repository, id)."""

    def __init__(self, found: dict[tuple[str, str], BaseModel]) -> None:
        self._found = found

    def get(self, repo: Repository[ModelT], doc_id: str) -> ModelT | None:
        item = self._found.get((repo.collection_name, doc_id))
        return item if isinstance(item, repo.model) else None


@dataclass
class _State:
    """What every view of one unit of work shares."""

    transaction: Transaction | None
    open: bool = False
    batch: WriteBatch | None = None
    events: list[outbox.OutboxEntry] = field(default_factory=list)
    repositories: dict[type[Repository[Any]], Repository[Any]] = field(default_factory=dict)


class repository(Generic[RepoT]):  # noqa: N801 - used like a field declaration
    """Declares a repository on a unit of work: `users = repository(UsersRepository)`."""

    def __init__(self, kind: type[RepoT]) -> None:
        self.kind = kind

    @overload
    def __get__(self, unit: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, unit: UnitOfWork, owner: type[Any]) -> RepoT: ...

    def __get__(self, unit: UnitOfWork | None, owner: type[Any]) -> RepoT | Self:
        return self if unit is None else unit.bind(self.kind)


class UnitOfWork:
    """Reads, writes and events of one use case (see the module docstring)."""

    def __init__(self, transaction: Transaction | None = None) -> None:
        self._state = _State(transaction=transaction)

    @classmethod
    def join(cls, other: UnitOfWork) -> Self:
        """This kind of unit over `other`'s transaction, writes and events (for a use case spanning areas)."""
        view = cls.__new__(cls)
        view._state = other._state
        return view

    @property
    def transaction(self) -> Transaction | None:
        return self._state.transaction

    def bind(self, kind: type[RepoT]) -> RepoT:
        """The repository of this kind bound to this unit (one instance per unit)."""
        found = self._state.repositories.get(kind)
        if found is None:
            found = self._state.repositories[kind] = kind(self)
        return cast(RepoT, found)

    def fetch(self, wanted: Sequence[tuple[Repository[Any], str]]) -> Fetched:
        """Read every (repository, id) pair in one round trip (invalid ids and missing documents are absent)."""
        by_path = {repo.ref(doc_id).path: repo for repo, doc_id in wanted if is_valid_doc_id(doc_id)}
        if not by_path:
            return Fetched({})
        count_round_trip()
        found: dict[tuple[str, str], BaseModel] = {}
        refs = [repo.ref(path.rsplit("/", 1)[1]) for path, repo in by_path.items()]
        for snapshot in db().get_all(refs, transaction=self.transaction):
            repo = by_path[snapshot.reference.path]
            item = repo.from_snapshot(snapshot)
            if item is not None:
                found[(repo.collection_name, snapshot.id)] = item
        return Fetched(found)

    # ------------------------------------------------------------ writes

    def _writer(self) -> Transaction | WriteBatch:
        state = self._state
        if state.transaction is not None:
            return state.transaction
        if not state.open:
            raise RuntimeError("writes need `with unit:` or `run_in_transaction`; this one would never commit")
        if state.batch is None:
            state.batch = db().batch()
        return state.batch

    def create(self, ref: DocumentReference, data: dict[str, Any]) -> None:
        self._writer().create(ref, data)

    def set(self, ref: DocumentReference, data: dict[str, Any], merge: bool | list[FieldPath] = False) -> None:
        self._writer().set(ref, data, merge=merge)

    def update(self, ref: DocumentReference, data: dict[str, Any]) -> None:
        self._writer().update(ref, data)

    def delete(self, ref: DocumentReference) -> None:
        self._writer().delete(ref)

    def emit(self, topic: Topic[P], payload: P) -> str:
        """Record an event with this unit's writes; it is published once they commit."""
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
        self.create(outbox.ref(entry.id), outbox.to_doc(entry))
        self._state.events.append(entry)
        return entry.id

    # ------------------------------------------------------------ outside a transaction: `with unit:`

    def __enter__(self) -> Self:
        if self._state.transaction is not None or self._state.open:
            raise RuntimeError("this unit of work is already open")
        self._state.open = True
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        state = self._state
        state.open = False
        if exc_type is not None or state.batch is None:
            return
        from google.api_core.exceptions import AlreadyExists

        settle_checks()  # a refused request (429) commits nothing
        count_round_trip()
        try:
            state.batch.commit()
        except AlreadyExists as error:
            raise DuplicateDocument(str(error)) from error
        if state.events:
            outbox.publish_entries(state.events)

    # ------------------------------------------------------------ in a transaction

    @classmethod
    def run_in_transaction(cls, work: Callable[[Self], T], *, max_attempts: int = 5) -> T:
        """Run `work` in a Firestore transaction (retried on contention), then publish the events it emitted.

        A `create` of a document that exists by commit time raises `DuplicateDocument`; contention that outlasts
        every attempt raises `TransactionContention` (503), never a bare error that would surface as a 500.
        """
        from google.api_core.exceptions import Aborted, AlreadyExists
        from google.cloud import firestore

        attempts: list[Self] = []

        @firestore.transactional
        def attempt(transaction: Transaction) -> T:
            unit = cls(transaction)  # a fresh unit (and repositories) for every attempt
            attempts.append(unit)
            count_round_trip(2)  # begin + commit
            result = work(unit)
            settle_checks()  # before the commit: a refused request (429) rolls back
            return result

        try:
            result = cast(T, attempt(db().transaction(max_attempts=max_attempts)))
        except AlreadyExists as exc:
            raise DuplicateDocument(str(exc)) from exc
        except ValueError as exc:  # how the client reports that every attempt was aborted
            if isinstance(exc.__cause__, Aborted):
                raise TransactionContention(CONTENTION.message) from exc
            raise
        events = attempts[-1]._state.events
        if events:
            outbox.publish_entries(events)
        return result
