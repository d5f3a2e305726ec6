"""The search index's documents: `searchEntries/{reader}_{kind}_{recordId}` and `searchScopes/{scope}` (both
server only: clients can neither read nor write them). See `models` for what they hold."""

from __future__ import annotations

from bloom.platform.store.client import count_round_trip
from bloom.platform.store.indexes import composite_index, unindexed_field
from bloom.platform.store.repository import Filter, Repository, chunks, is_valid_doc_id
from bloom.platform.store.unit_of_work import UnitOfWork, repository
from bloom.search.models import ScopeRecord, SearchEntry
from bloom.search.schemas import EntryKind

ENTRIES = "searchEntries"
SCOPES = "searchScopes"
# Readers by equality (`in`: the caller, and for a practice admin the admins' reader), terms by
# `array-contains-any`, newest first; with a kind for `scope=notes|messages`.
ENTRIES_OF_READERS = composite_index(ENTRIES, ("reader", "ASCENDING"), ("terms", "CONTAINS"), ("at", "DESCENDING"))
ENTRIES_OF_READERS_BY_KIND = composite_index(
    ENTRIES, ("reader", "ASCENDING"), ("kind", "ASCENDING"), ("terms", "CONTAINS"), ("at", "DESCENDING")
)
unindexed_field(ENTRIES, "termSet")  # read back by key, never queried
unindexed_field(ENTRIES, "snippet")  # sealed text
_SHOWN = ("reader", "kind", "recordId", "scope", "patientId", "threadId", "at", "snippet")
ERASE_BATCH = 400  # deletions per committed batch (Firestore takes 500 writes)


class EntriesRepository(Repository[SearchEntry]):
    collection_name = ENTRIES
    model = SearchEntry

    def candidates(
        self, readers: list[str], tokens: list[str], kind: EntryKind | None, limit: int
    ) -> list[SearchEntry]:
        """One query: the newest `limit` entries of these readers holding any of `tokens`, with only the asked
        tokens of their `termSet` (an entry's full token list is never read back)."""
        from google.cloud.firestore import Query as FirestoreQuery
        from google.cloud.firestore_v1.field_path import FieldPath

        of_kind = [Filter("kind", "==", kind)] if kind is not None else []
        query = self.query([Filter("reader", "in", readers), *of_kind, Filter("terms", "array_contains_any", tokens)])
        if query is None:
            return []
        query = query.order_by("at", direction=FirestoreQuery.DESCENDING).limit(limit)
        query = query.select([*_SHOWN, *(FieldPath("termSet", token).to_api_repr() for token in tokens)])
        count_round_trip()
        return [SearchEntry.model_validate(snapshot.to_dict()) for snapshot in query.stream()]

    def replace(self, entry: SearchEntry) -> None:
        self.session.set(self.ref(entry.id), self.to_doc(entry))

    def delete_each(self, entry_ids: list[str]) -> None:
        for doc_id in entry_ids:
            if is_valid_doc_id(doc_id):
                self.delete(doc_id)

    def delete_of_reader(self, reader_id: str) -> int:
        """Delete every entry of a reader (erasure), in committed batches."""
        return self.delete_where("reader", reader_id, batch_size=ERASE_BATCH)

    def delete_of_patient(self, patient_id: str) -> int:
        """Delete every entry of a patient's notes, whoever reads them (erasure), in committed batches."""
        return self.delete_where("patientId", patient_id, batch_size=ERASE_BATCH)


class ScopesRepository(Repository[ScopeRecord]):
    collection_name = SCOPES
    model = ScopeRecord

    def grant(self, scope: str, readers: list[str]) -> None:
        """Add readers to a scope (merged, no read; the document is created when missing)."""
        from google.cloud.firestore import ArrayUnion

        self.session.set(self.ref(scope), {"readers": ArrayUnion(readers)}, merge=True)

    def revoke(self, scope: str, readers: list[str]) -> None:
        """Remove readers from a scope (merged, no read)."""
        from google.cloud.firestore import ArrayRemove

        self.session.set(self.ref(scope), {"readers": ArrayRemove(readers)}, merge=True)

    def readers_of(self, scopes: list[str]) -> dict[str, set[str]]:
        """Each scope's readers today, in one round trip."""
        return {scope: set(record.readers) for scope, record in self.get_many(scopes).items()}


class SearchWork(UnitOfWork):
    entries = repository(EntriesRepository)
    scopes = repository(ScopesRepository)


def entry_batches(entry_ids: list[str]) -> list[list[str]]:
    """Entry ids in groups small enough for one committed batch each."""
    return list(chunks(entry_ids, ERASE_BATCH))
