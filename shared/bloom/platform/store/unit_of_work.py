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
- `PartnersWork.run_optimistically(work)`: `work(uow)` reads without locks and writes only if what it read is
  unchanged (`create` of a new document, `update_if_unchanged` with the version `fetch` saw); a lost race is
  read and tried again after a jittered pause. For one person's records written by concurrent requests (two
  tabs, a retrying client): nothing holds a lock while others wait for it, so nothing waits on a lock timeout.

Services take the kind of unit they open as a keyword (`units: type[PartnersWork] = PartnersWork`), so a
use-case test of a rule that must hold before any I/O passes `without_store(PartnersWork)`, which refuses every
read and write, and needs no emulator. It is not a fake store: it answers nothing.

An area that takes part in another area's use case joins that unit: `PartnersWork.join(uow)` gives a view
with the partners repositories over the same transaction, writes and events.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
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
UnitT = TypeVar("UnitT", bound="UnitOfWork")
ModelT = TypeVar("ModelT", bound=BaseModel)


class DuplicateDocument(Exception):
    """A document the unit `create`d already existed: a uniqueness claim was taken first."""


class StoreUnreachable(RuntimeError):
    """A unit made by `without_store` was asked to read or write."""


class StaleDocument(Exception):
    """A document the unit wrote with `update_if_unchanged` changed after it was read: another writer was first."""


# A retried transaction first pauses a random time up to base * 2**retry (at most the cap): "full jitter", so
# the losers of one round of contention spread out instead of colliding again in the next.
RETRY_PAUSE_BASE_S = 0.05
RETRY_PAUSE_CAP_S = 1.0


def _pause_before_retry(retry: int) -> None:
    time.sleep(random.uniform(0, min(RETRY_PAUSE_CAP_S, RETRY_PAUSE_BASE_S * 2**retry)))  # noqa: S311 - not crypto


ERRORS = ErrorCatalogue("store")
CONTENTION = ERRORS.declare(503, "Too many simultaneous changes; please try again")


class TransactionContention(ServiceUnavailable):
    """Too many concurrent changes to the same documents: every attempt was aborted. Safe to retry later."""


class Fetched:
    """Documents of several collections read in one round trip, looked up by (repository, id)."""

    def __init__(
        self, found: dict[tuple[str, str], BaseModel], versions: dict[tuple[str, str], datetime] | None = None
    ) -> None:
        self._found = found
        self._versions = versions or {}

    def get(self, repo: Repository[ModelT], doc_id: str) -> ModelT | None:
        item = self._found.get((repo.collection_name, doc_id))
        return item if isinstance(item, repo.model) else None

    def version(self, repo: Repository[Any], doc_id: str) -> datetime | None:
        """When the document read was last written (None: it did not exist), for `update_if_unchanged`."""
        return self._versions.get((repo.collection_name, doc_id))


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
        valid = [(repo, doc_id) for repo, doc_id in wanted if is_valid_doc_id(doc_id)]
        if not valid:
            return Fetched({})
        transaction = self.transaction
        by_path = {repo.ref(doc_id).path: repo for repo, doc_id in valid}
        count_round_trip()
        found: dict[tuple[str, str], BaseModel] = {}
        versions: dict[tuple[str, str], datetime] = {}
        refs = [repo.ref(path.rsplit("/", 1)[1]) for path, repo in by_path.items()]
        for snapshot in db().get_all(refs, transaction=transaction):
            repo = by_path[snapshot.reference.path]
            item = repo.from_snapshot(snapshot)
            if item is not None:
                found[(repo.collection_name, snapshot.id)] = item
                versions[(repo.collection_name, snapshot.id)] = snapshot.update_time
        return Fetched(found, versions)

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

    def update_if_unchanged(self, ref: DocumentReference, data: dict[str, Any], version: datetime) -> None:
        """Update the document only if it was last written at `version` (as `fetch` read it); else the commit
        raises `StaleDocument`."""
        self._writer().update(ref, data, option=db().write_option(last_update_time=version))

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
        from google.api_core.exceptions import Aborted, AlreadyExists, FailedPrecondition

        settle_checks()  # a refused request (429) commits nothing
        count_round_trip()
        try:
            state.batch.commit()
        except AlreadyExists as error:
            raise DuplicateDocument(str(error)) from error
        except FailedPrecondition as error:
            raise StaleDocument(str(error)) from error
        except Aborted as error:  # the emulator aborts a write that waited too long on others' locks
            raise TransactionContention(CONTENTION.message) from error
        if state.events:
            outbox.publish_entries(state.events)

    # ------------------------------------------------------------ optimistically: read, write if unchanged

    @classmethod
    def run_optimistically(cls, work: Callable[[Self], T], *, max_attempts: int = 5) -> T:
        """Run `work` in a fresh `with unit:` until its writes commit, i.e. until nothing it read changed before
        its commit (see the module docstring); 503 `TransactionContention` when every attempt lost a race."""
        for attempt in range(max_attempts):
            if attempt:
                _pause_before_retry(attempt)
            try:
                with cls() as unit:
                    return work(unit)
            except (StaleDocument, DuplicateDocument, TransactionContention):
                continue
        raise TransactionContention(CONTENTION.message)

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
            if attempts:
                _pause_before_retry(len(attempts))
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


def without_store(kind: type[UnitT]) -> type[UnitT]:
    """`kind` for use-case tests of rules that hold before any I/O: a read or write through a unit of it raises
    `StoreUnreachable` (repositories read with its `transaction` and write through it; where no store is configured
    at all, making a document reference raises the client's credentials error first). Its `run_in_transaction`
    and `run_optimistically` run the work once, outside any transaction."""

    def refuse(*_: object, **__: object) -> Any:
        raise StoreUnreachable(f"{kind.__name__} without a store was asked to read or write")

    def run_once(cls: type[UnitT], work: Callable[[UnitT], T], /, **_: object) -> T:
        return work(cls())

    overrides = {
        "transaction": property(refuse),
        "_writer": refuse,
        "run_in_transaction": classmethod(run_once),
        "run_optimistically": classmethod(run_once),
    }
    return cast(type[UnitT], type(f"{kind.__name__}WithoutStore", (kind,), overrides))
