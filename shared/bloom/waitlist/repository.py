"""The waitlist's documents: `waitlistEntries/{id}` (server only; TTL on `deleteAt`)."""

from __future__ import annotations

from datetime import datetime

from bloom.platform.store.indexes import composite_index, ttl_field
from bloom.platform.store.repository import Filter, Repository
from bloom.platform.store.unit_of_work import UnitOfWork, repository
from bloom.waitlist.models import EntryRecord

ENTRIES = "waitlistEntries"
ttl_field(ENTRIES, "deleteAt")
WAITING_OF_THERAPIST = composite_index(
    ENTRIES, ("therapistId", "ASCENDING"), ("status", "ASCENDING"), ("createdAt", "ASCENDING")
)
OFFERS_BY_EXPIRY = composite_index(ENTRIES, ("status", "ASCENDING"), ("offer.expiresAt", "ASCENDING"))
LINE_PAGE = 200  # the waiting entries of one therapist a freed slot is offered among, oldest first


class EntriesRepository(Repository[EntryRecord]):
    collection_name = ENTRIES
    model = EntryRecord

    def waiting_for(self, therapist_id: str) -> list[EntryRecord]:
        """One query: the therapist's waiting entries, oldest first (in the unit's transaction, if any)."""
        filters = [Filter("therapistId", "==", therapist_id), Filter("status", "==", "waiting")]
        rows = self.select(filters, order_by=[("createdAt", "ASCENDING")], limit=LINE_PAGE, index=WAITING_OF_THERAPIST)
        return [entry for _, entry in rows]

    def offers_over(self, now: datetime, limit: int) -> list[EntryRecord]:
        """Offered entries whose offer expired by `now`, the longest expired first."""
        filters = [Filter("status", "==", "offered"), Filter("offer.expiresAt", "<=", now)]
        rows = self.select(filters, order_by=[("offer.expiresAt", "ASCENDING")], limit=limit, index=OFFERS_BY_EXPIRY)
        return [entry for _, entry in rows]

    def of_patient(self, patient_id: str) -> list[EntryRecord]:
        return [entry for _, entry in self.select([Filter("patientId", "==", patient_id)])]


class WaitlistWork(UnitOfWork):
    entries = repository(EntriesRepository)
