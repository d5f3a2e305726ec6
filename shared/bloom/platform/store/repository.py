"""Repository base: the only place that talks to Firestore documents and queries.

A repository stores one pydantic model per document (field names are the model's camelCase aliases) and is
bound to a unit of work (`bloom.platform.store.unit_of_work`): its reads join the unit's transaction, if any,
and its writes go through the unit, so they commit together with the unit's other writes and its events.

Document ids reach repositories from callers (paths, bodies), so every method validates them: a read of an
id Firestore would reject finds nothing, a write of one raises `InvalidDocumentId`. Services never check ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from pydantic import BaseModel

from bloom.platform.store.client import count_round_trip, db
from bloom.platform.store.indexes import CompositeIndex
from bloom.platform.store.request_checks import settle_checks

if TYPE_CHECKING:
    from google.cloud.firestore import CollectionReference, DocumentReference, DocumentSnapshot, Transaction
    from google.cloud.firestore_v1.field_path import FieldPath

ModelT = TypeVar("ModelT", bound=BaseModel)
MAX_ID_BYTES = 1500
MAX_QUERY_TEXT_BYTES = 1024  # longer text in a query filter is refused by Firestore ("too large")
IN_QUERY_LIMIT = 30  # Firestore's maximum number of values in an `in` filter


@dataclass(frozen=True)
class Filter:
    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class ArrayAdd:
    """A change that adds these values to a stored list (each once), whatever else writes the list meanwhile."""

    values: tuple[Any, ...]


@dataclass(frozen=True)
class ArrayRemove:
    """A change that removes every occurrence of these values from a stored list."""

    values: tuple[Any, ...]


@dataclass(frozen=True)
class Increment:
    """A change that adds `by` to a stored number (a missing field counts as 0)."""

    by: int


class _Delete:
    """The marker type of `DELETE`."""

    def __repr__(self) -> str:
        return "DELETE"


DELETE = _Delete()
"""A change that removes the field from the stored document."""

ChangeValue = Any  # a plain value (a model, a list of models, a scalar), or ArrayAdd, ArrayRemove, Increment, DELETE


class UnknownField(AttributeError):
    """A change named a field its repository's model does not have."""


class MissingIndexError(RuntimeError):
    """A query combines fields that no declared composite index covers."""


class InvalidDocumentId(ValueError):
    """A write named a document id Firestore would reject (empty, too long, a path, or reserved)."""


def is_valid_doc_id(doc_id: str) -> bool:
    """Ids Firestore accepts as one path segment: 1-1500 bytes, no `/`, not `.`/`..`, not `__reserved__`."""
    return (
        0 < len(doc_id.encode("utf-8", "surrogatepass")) <= MAX_ID_BYTES
        and "/" not in doc_id
        and doc_id not in (".", "..")
        and not (doc_id.startswith("__") and doc_id.endswith("__"))
    )


def chunks(values: Iterable[str], size: int = IN_QUERY_LIMIT) -> Iterable[list[str]]:
    """Split values for `in` filters, which take at most 30 values."""
    batch: list[str] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class Session(Protocol):
    """What a repository reads and writes through: a unit of work (see `unit_of_work.UnitOfWork`)."""

    @property
    def transaction(self) -> Transaction | None: ...

    def create(self, ref: DocumentReference, data: dict[str, Any]) -> None: ...

    def set(self, ref: DocumentReference, data: dict[str, Any], merge: bool | list[FieldPath] = False) -> None: ...

    def update(self, ref: DocumentReference, data: dict[str, Any]) -> None: ...

    def delete(self, ref: DocumentReference) -> None: ...


class DirectSession:
    """Reads outside any transaction and writes applied one by one: for seeding, tests and tools, not services."""

    transaction: Transaction | None = None

    def create(self, ref: DocumentReference, data: dict[str, Any]) -> None:
        settle_checks()
        count_round_trip()
        ref.create(data)

    def set(self, ref: DocumentReference, data: dict[str, Any], merge: bool | list[FieldPath] = False) -> None:
        settle_checks()
        count_round_trip()
        ref.set(data, merge=merge)  # type: ignore[arg-type]  # the SDK takes field paths too; its hint says bool

    def update(self, ref: DocumentReference, data: dict[str, Any]) -> None:
        settle_checks()
        count_round_trip()
        ref.update(data)

    def delete(self, ref: DocumentReference) -> None:
        settle_checks()
        count_round_trip()
        ref.delete()


def _stored_value(value: ChangeValue) -> Any:
    """A change's value as Firestore stores it: models by alias, markers as the SDK's transforms."""
    if isinstance(value, BaseModel):
        return value.model_dump(by_alias=True, mode="python")
    if isinstance(value, list | tuple):
        return [_stored_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _stored_value(item) for key, item in value.items()}
    if isinstance(value, ArrayAdd | ArrayRemove | Increment) or value is DELETE:
        from google.cloud import firestore

        if isinstance(value, ArrayAdd):
            return firestore.ArrayUnion([_stored_value(v) for v in value.values])
        if isinstance(value, ArrayRemove):
            return firestore.ArrayRemove([_stored_value(v) for v in value.values])
        if isinstance(value, Increment):
            return firestore.Increment(value.by)
        return firestore.DELETE_FIELD
    return value


def _matchable(filters: Sequence[Filter]) -> list[Filter] | None:
    """The filters without values Firestore cannot query; None when nothing stored can match them.

    Firestore refuses a query naming text near 1500 bytes. No id, name or email we store is that long, so an
    equality (`==`, `array_contains`) on such text matches nothing, and a list (`in`, `array_contains_any`)
    matches what its other values do. Ranges compare our own values (times, days), never a caller's text.
    """
    kept: list[Filter] = []
    for condition in filters:
        if condition.op in ("==", "array_contains") and not _fits_index(condition.value):
            return None
        if condition.op in ("in", "array_contains_any"):
            values = [value for value in condition.value if _fits_index(value)]
            if not values:
                return None
            kept.append(Filter(condition.field, condition.op, values))
        else:
            kept.append(condition)
    return kept


def _fits_index(value: Any) -> bool:
    """Whether Firestore can query for this value (it refuses text near 1500 bytes)."""
    return not isinstance(value, str) or len(value.encode("utf-8", "surrogatepass")) <= MAX_QUERY_TEXT_BYTES


def _needs_composite(filters: Sequence[Filter], order_by: Sequence[tuple[str, str]]) -> bool:
    fields = {f.field for f in filters} | {name for name, _ in order_by}
    has_range = any(f.op not in ("==", "in", "array_contains") for f in filters)
    return len(fields) > 1 and (has_range or bool(order_by))


class Repository(Generic[ModelT]):
    """One collection of one model, bound to the unit of work (`session`) it reads and writes through.

    Services get repositories from their unit of work; a repository made without one (`UsersRepository()`)
    reads outside any transaction and writes each change at once, which is for seeding, tests and tools.
    """

    collection_name: str
    model: type[ModelT]

    def __init__(self, session: Session | None = None) -> None:
        self.session: Session = session if session is not None else DirectSession()

    def collection(self) -> CollectionReference:
        return db().collection(self.collection_name)

    def ref(self, doc_id: str) -> DocumentReference:
        if not is_valid_doc_id(doc_id):
            raise InvalidDocumentId(f"{self.collection_name}: invalid document id")
        return self.collection().document(doc_id)

    def to_doc(self, item: ModelT) -> dict[str, Any]:
        return item.model_dump(by_alias=True, mode="python")

    def from_snapshot(self, snapshot: DocumentSnapshot[Any]) -> ModelT | None:
        if not snapshot.exists:
            return None
        return self.model.model_validate(snapshot.to_dict())

    # ------------------------------------------------------------ reads

    def get(self, doc_id: str) -> ModelT | None:
        """The document, or None when it does not exist or the id is not one Firestore accepts."""
        if not is_valid_doc_id(doc_id):
            return None
        count_round_trip()
        return self.from_snapshot(self.ref(doc_id).get(transaction=self.session.transaction))

    def get_many(self, doc_ids: Iterable[str]) -> dict[str, ModelT]:
        """The documents that exist among `doc_ids` (invalid ids are skipped), in one round trip."""
        refs = [self.ref(doc_id) for doc_id in dict.fromkeys(doc_ids) if is_valid_doc_id(doc_id)]
        if not refs:
            return {}
        count_round_trip()
        found: dict[str, ModelT] = {}
        for snapshot in db().get_all(refs, transaction=self.session.transaction):
            item = self.from_snapshot(snapshot)
            if item is not None:
                found[snapshot.id] = item
        return found

    def query(self, filters: Sequence[Filter] = (), *, of: CollectionReference | None = None) -> Any | None:
        """The collection (or `of`, a collection of this model under another document) under `filters`, as a query
        for a method to order, page and run; None when nothing stored can match (see `_matchable`): the method
        then finds nothing without asking Firestore. Every query of a repository starts here."""
        matchable = _matchable(filters)
        if matchable is None:
            return None
        from google.cloud.firestore import FieldFilter

        query: Any = of if of is not None else self.collection()
        for f in matchable:
            query = query.where(filter=FieldFilter(f.field, f.op, f.value))
        return query

    def select(
        self,
        filters: Sequence[Filter] = (),
        *,
        order_by: Sequence[tuple[str, str]] = (),
        limit: int | None = None,
        index: CompositeIndex | None = None,
    ) -> list[tuple[str, ModelT]]:
        """Run a query; one that needs a composite index must name a declared one that covers it.

        Filters that nothing stored can match (see `query`) find nothing without asking Firestore.
        """
        if _needs_composite(filters, order_by):
            wanted = [f.field for f in filters] + [name for name, _ in order_by]
            if index is None or index.collection != self.collection_name or not set(wanted) <= set(index.field_names):
                raise MissingIndexError(f"{self.collection_name} query on {wanted} needs a declared composite index")
        query = self.query(filters)
        if query is None:
            return []
        from google.cloud.firestore import Query

        for name, direction in order_by:
            query = query.order_by(name, direction=Query.DESCENDING if direction == "DESCENDING" else Query.ASCENDING)
        if limit is not None:
            query = query.limit(limit)
        count_round_trip()
        results: list[tuple[str, ModelT]] = []
        for snapshot in query.stream(transaction=self.session.transaction):
            item = self.from_snapshot(snapshot)
            if item is not None:
                results.append((snapshot.id, item))
        return results

    def count(self, filters: Sequence[Filter]) -> int:
        """How many documents match, by a count aggregation over single-field indexes (no document is read;
        Firestore bills one read per 1,000 index entries matched)."""
        query = self.query(filters)
        if query is None:
            return 0
        count_round_trip()
        result = query.count(alias="n").get(transaction=self.session.transaction)
        return int(result[0][0].value)

    def page(self, after: str | None, limit: int) -> list[tuple[str, ModelT]]:
        """Up to `limit` documents in document-id order, after the id `after` (None: from the start)."""
        query: Any = self.collection().order_by("__name__").limit(limit)  # "__name__": the document id
        if after is not None:
            query = query.start_after({"__name__": self.ref(after)})
        count_round_trip()
        results: list[tuple[str, ModelT]] = []
        for snapshot in query.stream(transaction=self.session.transaction):
            item = self.from_snapshot(snapshot)
            if item is not None:
                results.append((snapshot.id, item))
        return results

    def find_one(self, field: str, value: Any) -> tuple[str, ModelT] | None:
        """(document id, item) of the first document whose `field` equals `value` (single-field index)."""
        rows = self.select([Filter(field, "==", value)], limit=1)
        return rows[0] if rows else None

    def where_in(self, field: str, values: Iterable[str]) -> list[ModelT]:
        """Documents whose `field` is one of `values`, 30 values per query."""
        found: list[ModelT] = []
        for batch in chunks(dict.fromkeys(values)):
            found.extend(item for _, item in self.select([Filter(field, "in", batch)]))
        return found

    # ------------------------------------------------------------ writes (through the unit of work)

    def create(self, doc_id: str, item: ModelT) -> None:
        """Create the document; the commit fails (DuplicateDocument) if it exists by then."""
        self.session.create(self.ref(doc_id), self.to_doc(item))

    def save(self, doc_id: str, item: ModelT, *, new: bool = False) -> None:
        """Write the whole document, replacing any existing one; `new=True` creates it instead (see `create`)."""
        if new:
            self.create(doc_id, item)
        else:
            self.session.set(self.ref(doc_id), self.to_doc(item))

    def change(self, doc_id: str, **changes: ChangeValue) -> None:
        """Change fields of an existing document, named as the model's fields (`updated_at=now`,
        `reader_ids=ArrayAdd((uid,))`, `expire_at=DELETE`); the rest of the document is left alone."""
        self.session.update(self.ref(doc_id), self.stored_changes(changes))

    def change_each(self, changes: dict[str, dict[str, ChangeValue]]) -> None:
        """`change` for several documents (document id → the model's field names and their changes)."""
        for doc_id, fields in changes.items():
            self.change(doc_id, **fields)

    def stored_changes(self, changes: dict[str, ChangeValue]) -> dict[str, Any]:
        """The Firestore update of a change: each model field's stored name (its alias) and stored value."""
        return {self.stored_name(name): _stored_value(value) for name, value in changes.items()}

    def stored_name(self, field: str) -> str:
        """The name the model's field `field` is stored under (its alias); UnknownField when there is none."""
        found = self.model.model_fields.get(field)
        if found is None:
            raise UnknownField(f"{self.model.__name__} has no field {field!r}")
        return found.alias or field

    def _update_stored(self, doc_id: str, fields: dict[str, Any]) -> None:
        """Change the given stored fields (stored names, field paths or Firestore transforms); the document must
        exist. For repositories' own methods (nested field paths): services use `change`."""
        self.session.update(self.ref(doc_id), fields)

    def put_entry(self, doc_id: str, field: str, key: str, value: dict[str, Any] | None) -> None:
        """Replace (or, with None, remove) the entry `key` of the map `field`, leaving the rest of the document
        alone; the document is created when missing. Writers of different keys never conflict."""
        from google.cloud.firestore import DELETE_FIELD
        from google.cloud.firestore_v1.field_path import FieldPath

        entry = DELETE_FIELD if value is None else value
        self.session.set(self.ref(doc_id), {field: {key: entry}}, merge=[FieldPath(field, key)])

    def update_entries(self, doc_id: str, path: tuple[str, ...], entries: dict[str, dict[str, Any] | None]) -> None:
        """Replace or remove (None) entries of the map at `path` of an existing document, leaving the rest alone."""
        if not entries:
            return
        from google.cloud.firestore import DELETE_FIELD
        from google.cloud.firestore_v1.field_path import FieldPath

        fields = {
            FieldPath(*path, key).to_api_repr(): DELETE_FIELD if value is None else value
            for key, value in entries.items()
        }
        self.session.update(self.ref(doc_id), fields)

    def delete(self, doc_id: str) -> None:
        self.session.delete(self.ref(doc_id))

    # ------------------------------------------------------------ bulk erasure

    def delete_matching(self, **equals: Any) -> int:
        """`delete_where` named as the model names its field (`delete_matching(user_id=uid)`): for erasure."""
        [(name, value)] = equals.items()
        return self.delete_where(self.stored_name(name), value)

    def delete_where(self, field: str, value: Any, batch_size: int = 300) -> int:
        """Delete every document whose `field` equals `value`, in committed batches (erasure). Idempotent.

        Runs outside the unit's transaction: it is for subscribers that erase data no request is changing.
        """
        deleted = 0
        while True:
            rows = self.select([Filter(field, "==", value)], limit=batch_size)
            if not rows:
                return deleted
            batch = db().batch()
            for doc_id, _ in rows:
                batch.delete(self.ref(doc_id))
            settle_checks()
            count_round_trip()
            batch.commit()
            deleted += len(rows)
