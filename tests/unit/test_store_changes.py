"""The repository's typed change API: model field names become stored names, markers become Firestore transforms."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from google.cloud import firestore
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from bloom.platform.store.repository import DELETE, ArrayAdd, ArrayRemove, Increment, Repository, UnknownField


class Reader(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)
    user_id: str
    can_edit: bool = False


class Upload(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)
    reader_ids: list[str] = Field(default_factory=list)
    readers: list[Reader] = Field(default_factory=list)
    owner: Reader | None = None
    size_bytes: int = 0
    expire_at: datetime | None = None
    status: str = "pending"


class Uploads(Repository[Upload]):
    collection_name = "uploads"
    model = Upload


def test_field_names_map_to_their_stored_aliases() -> None:
    at = datetime(2026, 1, 2, tzinfo=UTC)
    assert Uploads().stored_changes({"status": "available", "expire_at": at}) == {"status": "available", "expireAt": at}


def test_models_are_stored_by_alias_in_lists_and_alone() -> None:
    stored = Uploads().stored_changes({"readers": [Reader(user_id="u1")], "owner": Reader(user_id="u2", can_edit=True)})
    assert stored == {
        "readers": [{"userId": "u1", "canEdit": False}],
        "owner": {"userId": "u2", "canEdit": True},
    }


def test_markers_become_firestore_transforms() -> None:
    stored = Uploads().stored_changes(
        {"reader_ids": ArrayAdd(("u1",)), "readers": ArrayRemove((Reader(user_id="u2"),)), "size_bytes": Increment(3)}
    )
    assert stored["readerIds"] == firestore.ArrayUnion(["u1"])
    assert stored["readers"] == firestore.ArrayRemove([{"userId": "u2", "canEdit": False}])
    assert stored["sizeBytes"] == firestore.Increment(3)
    assert Uploads().stored_changes({"expire_at": DELETE}) == {"expireAt": firestore.DELETE_FIELD}


def test_a_field_the_model_does_not_have_is_refused() -> None:
    with pytest.raises(UnknownField):
        Uploads().stored_changes({"readerIds": ["u1"]})  # the stored name is not a field name
    with pytest.raises(UnknownField):
        Uploads().delete_matching(ownerId="u1")  # refused before anything is asked of Firestore
