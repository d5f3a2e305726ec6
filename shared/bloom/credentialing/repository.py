"""Credentialing's documents.

Therapist documents and applications: `credentialingDocuments/{id}` and `credentialingApplications/{id}` (server
only), each with the owner's Bloom user id (`ownerId`, what erasure deletes by). Days (`expiresOn`, `followUpOn`)
are stored as ISO text, so the daily job's range queries compare them as days.
"""

from __future__ import annotations

from datetime import date

from bloom.credentialing.models import ApplicationRecord, DocumentRecord
from bloom.credentialing.schemas import ApplicationStatus
from bloom.platform.store.indexes import composite_index
from bloom.platform.store.repository import Filter, Repository
from bloom.platform.store.unit_of_work import UnitOfWork, repository

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
