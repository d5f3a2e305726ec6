"""Repository base: the only place that talks to Firestore documents and queries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from bloom.platform.store.client import count_round_trip, db
from bloom.platform.store.indexes import CompositeIndex

if TYPE_CHECKING:
    from google.cloud.firestore import CollectionReference, DocumentReference, DocumentSnapshot, Transaction


ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class Filter:
    field: str
    op: str
    value: Any


class MissingIndexError(RuntimeError):
    """A query combines fields that no declared composite index covers."""


def _needs_composite(filters: Sequence[Filter], order_by: Sequence[tuple[str, str]]) -> bool:
    fields = {f.field for f in filters} | {name for name, _ in order_by}
    has_range = any(f.op not in ("==", "in", "array_contains") for f in filters)
    return len(fields) > 1 and (has_range or bool(order_by))


class Repository(Generic[ModelT]):
    """Stores one pydantic model per document; field names are the model's camelCase aliases."""

    collection_name: str
    model: type[ModelT]

    def collection(self) -> CollectionReference:
        return db().collection(self.collection_name)

    def ref(self, doc_id: str) -> DocumentReference:
        return self.collection().document(doc_id)

    def to_doc(self, item: ModelT) -> dict[str, Any]:
        return item.model_dump(by_alias=True, mode="python")

    def from_snapshot(self, snapshot: DocumentSnapshot[Any]) -> ModelT | None:
        if not snapshot.exists:
            return None
        return self.model.model_validate(snapshot.to_dict())

    def get(self, doc_id: str, transaction: Transaction | None = None) -> ModelT | None:
        count_round_trip()
        return self.from_snapshot(self.ref(doc_id).get(transaction=transaction))

    def save(self, doc_id: str, item: ModelT) -> None:
        """Write a whole document outside a transaction (seeding, tests, single-document changes)."""
        count_round_trip()
        self.ref(doc_id).set(self.to_doc(item))

    def get_many(self, doc_ids: Iterable[str], transaction: Transaction | None = None) -> dict[str, ModelT]:
        refs = [self.ref(doc_id) for doc_id in dict.fromkeys(doc_ids)]
        if not refs:
            return {}
        count_round_trip()
        found: dict[str, ModelT] = {}
        for snapshot in db().get_all(refs, transaction=transaction):
            item = self.from_snapshot(snapshot)
            if item is not None:
                found[snapshot.id] = item
        return found

    def select(
        self,
        filters: Sequence[Filter] = (),
        *,
        order_by: Sequence[tuple[str, str]] = (),
        limit: int | None = None,
        index: CompositeIndex | None = None,
        transaction: Transaction | None = None,
    ) -> list[tuple[str, ModelT]]:
        """Run a query; one that needs a composite index must name a declared one that covers it."""
        if _needs_composite(filters, order_by):
            wanted = [f.field for f in filters] + [name for name, _ in order_by]
            if index is None or index.collection != self.collection_name or not set(wanted) <= set(index.field_names):
                raise MissingIndexError(f"{self.collection_name} query on {wanted} needs a declared composite index")
        from google.cloud.firestore import FieldFilter, Query

        query: Any = self.collection()
        for f in filters:
            query = query.where(filter=FieldFilter(f.field, f.op, f.value))
        for name, direction in order_by:
            query = query.order_by(name, direction=Query.DESCENDING if direction == "DESCENDING" else Query.ASCENDING)
        if limit is not None:
            query = query.limit(limit)
        count_round_trip()
        results: list[tuple[str, ModelT]] = []
        for snapshot in query.stream(transaction=transaction):
            item = self.from_snapshot(snapshot)
            if item is not None:
                results.append((snapshot.id, item))
        return results
