"""Credentialing's documents.

Sources and chunks: `credentialingSources/{id}`, `credentialingChunks/{sourceId}-{index}` (text, page and a
Firestore vector field, searched by `find_nearest` under equality pre-filters on payer and state) and
`requirementQueries/{payer}~{state}` (the embedded requirements query of a payer and state).

Therapist documents and applications: `credentialingDocuments/{id}` and `credentialingApplications/{id}` (server
only), each with the owner's Bloom user id (`ownerId`, what erasure deletes by). Days (`expiresOn`, `followUpOn`)
are stored as ISO text, so the daily job's range queries compare them as days.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from bloom.credentialing.models import (
    EMBEDDING_DIMENSION,
    ApplicationRecord,
    ChunkRecord,
    DocumentRecord,
    QueryVectorRecord,
    SourceRecord,
)
from bloom.credentialing.schemas import ApplicationStatus
from bloom.platform.store.client import count_round_trip, db
from bloom.platform.store.indexes import composite_index, unindexed_field, vector_index
from bloom.platform.store.repository import Filter, Repository
from bloom.platform.store.unit_of_work import UnitOfWork, repository

if TYPE_CHECKING:
    from google.cloud.firestore_v1.base_document import DocumentSnapshot

# --- sources and chunks (rag)
SOURCES = "credentialingSources"
CHUNKS = "credentialingChunks"
QUERY_VECTORS = "requirementQueries"
EMBEDDING = "embedding"
NEAREST_CHUNKS = vector_index(CHUNKS, "payer", "state", vector_field=EMBEDDING, dimension=EMBEDDING_DIMENSION)
CHUNKS_FROM_INDEX = composite_index(CHUNKS, ("sourceId", "ASCENDING"), ("index", "ASCENDING"))
# Never filtered on: no single-field index of a chunk's text (up to ~2.5 kB) or of its 384 numbers (the vector
# index above is the one `find_nearest` uses).
for _field in ("text", EMBEDDING):
    unindexed_field(CHUNKS, _field)
unindexed_field(QUERY_VECTORS, EMBEDDING)
VectorModelT = TypeVar("VectorModelT", bound=BaseModel)
SOURCES_LISTED = 500
CHUNK_DELETE_BATCH = 300


class _WithVector(Repository[VectorModelT]):
    """A collection whose `embedding` (a list of floats in the model) is stored as a Firestore vector."""

    def to_doc(self, item: VectorModelT) -> dict[str, Any]:
        from google.cloud.firestore_v1.vector import Vector

        doc = super().to_doc(item)
        return doc | {EMBEDDING: Vector(doc[EMBEDDING])}

    def from_snapshot(self, snapshot: DocumentSnapshot[Any]) -> VectorModelT | None:
        if not snapshot.exists:
            return None
        data = snapshot.to_dict() or {}
        return self.model.model_validate(data | {EMBEDDING: list(data.get(EMBEDDING) or ())})


class SourcesRepository(Repository[SourceRecord]):
    collection_name = SOURCES
    model = SourceRecord

    def newest(self) -> list[SourceRecord]:
        rows = self.select(order_by=[("createdAt", "DESCENDING")], limit=SOURCES_LISTED)
        return [item for _, item in rows]


class ChunksRepository(_WithVector[ChunkRecord]):
    collection_name = CHUNKS
    model = ChunkRecord

    def nearest(self, payer: str, state: str, vector: list[float], limit: int) -> list[ChunkRecord]:
        """The `limit` chunks of the payer and state closest to `vector` (cosine), closest first: one query."""
        from google.cloud.firestore_v1.base_vector_query import DistanceMeasure
        from google.cloud.firestore_v1.vector import Vector

        query = self.query([Filter("payer", "==", payer), Filter("state", "==", state)])
        if query is None:
            return []
        nearest = query.find_nearest(
            vector_field=NEAREST_CHUNKS.field_names[-1],
            query_vector=Vector(vector),
            distance_measure=DistanceMeasure.COSINE,
            limit=limit,
        )
        count_round_trip()
        found = (self.from_snapshot(snapshot) for snapshot in nearest.stream(transaction=self.session.transaction))
        return [chunk for chunk in found if chunk is not None]

    def delete_from_index(self, source_id: str, first: int) -> int:
        """Delete the source's chunks numbered `first` and above (what a shorter re-ingestion left), in committed
        batches outside any transaction (ingestion's cleanup). Idempotent."""
        deleted = 0
        while True:
            rows = self.select(
                [Filter("sourceId", "==", source_id), Filter("index", ">=", first)],
                limit=CHUNK_DELETE_BATCH,
                index=CHUNKS_FROM_INDEX,
            )
            if not rows:
                return deleted
            batch = db().batch()
            for doc_id, _ in rows:
                batch.delete(self.ref(doc_id))
            count_round_trip()
            batch.commit()
            deleted += len(rows)


class QueryVectorsRepository(_WithVector[QueryVectorRecord]):
    collection_name = QUERY_VECTORS
    model = QueryVectorRecord


class SourcesWork(UnitOfWork):
    sources = repository(SourcesRepository)
    chunks = repository(ChunksRepository)
    query_vectors = repository(QueryVectorsRepository)


# --- documents and applications (applications)
DOCUMENTS = "credentialingDocuments"
APPLICATIONS = "credentialingApplications"
APPLICATIONS_BY_STATUS = composite_index(APPLICATIONS, ("status", "ASCENDING"), ("createdAt", "DESCENDING"))
APPROVALS_BY_EXPIRY = composite_index(APPLICATIONS, ("status", "ASCENDING"), ("expiresOn", "ASCENDING"))
OWNED_LIMIT = 500  # documents or applications of one therapist: far more than anyone keeps
LISTED = 200  # applications a practice admin's listing shows, newest first


class DocumentsRepository(Repository[DocumentRecord]):
    collection_name = DOCUMENTS
    model = DocumentRecord

    def owned_by(self, owner_id: str) -> list[DocumentRecord]:
        return [item for _, item in self.select([Filter("ownerId", "==", owner_id)], limit=OWNED_LIMIT)]

    def expiring_between(self, first: date, last: date) -> list[DocumentRecord]:
        """Documents whose `expiresOn` lies in [first, last]."""
        filters = [Filter("expiresOn", ">=", first.isoformat()), Filter("expiresOn", "<=", last.isoformat())]
        return [item for _, item in self.select(filters)]


class ApplicationsRepository(Repository[ApplicationRecord]):
    collection_name = APPLICATIONS
    model = ApplicationRecord

    def owned_by(self, owner_id: str) -> list[ApplicationRecord]:
        return [item for _, item in self.select([Filter("ownerId", "==", owner_id)], limit=OWNED_LIMIT)]

    def newest(self, status: ApplicationStatus | None) -> list[ApplicationRecord]:
        filters = [Filter("status", "==", status)] if status is not None else []
        rows = self.select(filters, order_by=[("createdAt", "DESCENDING")], limit=LISTED, index=APPLICATIONS_BY_STATUS)
        return [item for _, item in rows]

    def follow_ups_between(self, first: date, last: date) -> list[ApplicationRecord]:
        """Applications whose `followUpOn` lies in [first, last]."""
        filters = [Filter("followUpOn", ">=", first.isoformat()), Filter("followUpOn", "<=", last.isoformat())]
        return [item for _, item in self.select(filters)]

    def approvals_expiring_between(self, first: date, last: date) -> list[ApplicationRecord]:
        """Approved applications whose `expiresOn` lies in [first, last] (`date.min`: every one that is past)."""
        filters = [
            Filter("status", "==", "approved"),
            Filter("expiresOn", ">=", first.isoformat()),
            Filter("expiresOn", "<=", last.isoformat()),
        ]
        return [item for _, item in self.select(filters, index=APPROVALS_BY_EXPIRY)]


class CredentialsWork(UnitOfWork):
    documents = repository(DocumentsRepository)
    applications = repository(ApplicationsRepository)
