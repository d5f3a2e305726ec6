"""Uploads in Firestore: `uploads/{id}` (id random, from the server)."""

from __future__ import annotations

from bloom.files.models import UploadRecord
from bloom.platform.store.indexes import ttl_field
from bloom.platform.store.repository import Filter, Repository
from bloom.platform.store.unit_of_work import UnitOfWork, repository

UPLOADS = "uploads"
ttl_field(UPLOADS, "expireAt")  # pending and rejected records go after a day (the lifecycle rule's twin)


class UploadsRepository(Repository[UploadRecord]):
    collection_name = UPLOADS
    model = UploadRecord

    def owned_by(self, owner_id: str, limit: int) -> list[UploadRecord]:
        return [item for _, item in self.select([Filter("ownerId", "==", owner_id)], limit=limit)]

    def shared_with(self, reader_id: str, limit: int) -> list[UploadRecord]:
        return [item for _, item in self.select([Filter("readerIds", "array_contains", reader_id)], limit=limit)]


class FilesWork(UnitOfWork):
    uploads = repository(UploadsRepository)
