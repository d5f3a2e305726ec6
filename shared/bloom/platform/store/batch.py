"""One round trip for documents of several collections (Firestore `BatchGetDocuments`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from bloom.platform.store.client import count_round_trip, db

if TYPE_CHECKING:
    from google.cloud.firestore import Transaction

    from bloom.platform.store.repository import Repository


def fetch_many(
    wanted: Sequence[tuple[Repository[Any], str]], transaction: Transaction | None = None
) -> dict[tuple[str, str], BaseModel]:
    """Read every (repository, id) pair at once; the result is keyed by (collection, id), missing ones absent."""
    by_path = {repo.ref(doc_id).path: repo for repo, doc_id in wanted}
    if not by_path:
        return {}
    count_round_trip()
    found: dict[tuple[str, str], BaseModel] = {}
    refs = [repo.ref(path.rsplit("/", 1)[1]) for path, repo in by_path.items()]
    for snapshot in db().get_all(refs, transaction=transaction):
        repo = by_path[snapshot.reference.path]
        item = repo.from_snapshot(snapshot)
        if item is not None:
            found[(repo.collection_name, snapshot.id)] = item
    return found
