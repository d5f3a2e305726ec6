"""Composite indexes, declared next to the queries that need them; Terraform creates them from the manifest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# CONTAINS: an array field under array-contains; VECTOR: the vector field of a `find_nearest` (last, with a dimension)
Direction = Literal["ASCENDING", "DESCENDING", "CONTAINS", "VECTOR"]
_INDEXES: dict[tuple[str, tuple[tuple[str, Direction], ...]], CompositeIndex] = {}


@dataclass(frozen=True)
class CompositeIndex:
    collection: str
    fields: tuple[tuple[str, Direction], ...]
    dimension: int | None = None  # a vector index's dimension

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.fields)


def composite_index(collection: str, *fields: tuple[str, Direction]) -> CompositeIndex:
    index = CompositeIndex(collection, tuple(fields))
    _INDEXES[(collection, index.fields)] = index
    return index


def vector_index(collection: str, *prefilters: str, vector_field: str, dimension: int) -> CompositeIndex:
    """Declare the index of a nearest-neighbour query on `vector_field` with equality pre-filters on `prefilters`."""
    fields = (*((name, "ASCENDING") for name in prefilters), (vector_field, "VECTOR"))
    index = CompositeIndex(collection, tuple(fields), dimension)  # type: ignore[arg-type]
    _INDEXES[(collection, index.fields)] = index
    return index


def all_indexes() -> list[CompositeIndex]:
    return [_INDEXES[key] for key in sorted(_INDEXES)]


_TTL_FIELDS: set[tuple[str, str]] = set()


def ttl_field(collection: str, field: str) -> str:
    """Declare a timestamp field after which Firestore deletes the document (a TTL policy)."""
    _TTL_FIELDS.add((collection, field))
    return field


def all_ttl_fields() -> list[tuple[str, str]]:
    return sorted(_TTL_FIELDS)


_UNINDEXED_FIELDS: set[tuple[str, str]] = set()


def unindexed_field(collection: str, field: str) -> str:
    """Declare a field that is never queried, so Firestore keeps no single-field index of it or of anything in it
    (projections and catalogues: indexing every nested key would cost a write per key and bloat the index; long
    texts and vectors)."""
    _UNINDEXED_FIELDS.add((collection, field))
    return field


def all_unindexed_fields() -> list[tuple[str, str]]:
    return sorted(_UNINDEXED_FIELDS)
