"""The booking ledger (`therapyBookings/code-{code}`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bloom.platform.store.indexes import composite_index
from bloom.platform.store.repository import Filter, Repository
from bloom.platform.store.unit_of_work import UnitOfWork, repository
from bloom.therapy.models import TherapyBookingRecord, awaiting_completion

BOOKINGS = "therapyBookings"
AWAITING_COMPLETION = "awaitingCompletion"  # stored beside the record's fields, derived from them
DUE_FOR_COMPLETION = composite_index(BOOKINGS, (AWAITING_COMPLETION, "ASCENDING"), ("endDateTime", "ASCENDING"))


class BookingsRepository(Repository[TherapyBookingRecord]):
    collection_name = BOOKINGS
    model = TherapyBookingRecord

    def to_doc(self, item: TherapyBookingRecord) -> dict[str, Any]:
        doc = super().to_doc(item)
        doc[AWAITING_COMPLETION] = awaiting_completion(item)
        return doc

    def by_public_id(self, session_id: str) -> TherapyBookingRecord | None:
        found = self.find_one("id", session_id)
        return found[1] if found else None

    def of_user(self, user_id: str, limit: int) -> list[TherapyBookingRecord]:
        return [item for _, item in self.select([Filter("userId", "==", user_id)], limit=limit)]

    def of_partner(self, partner_id: str, limit: int) -> list[TherapyBookingRecord]:
        return [item for _, item in self.select([Filter("partnerId", "==", partner_id)], limit=limit)]

    def recent(self, limit: int) -> list[TherapyBookingRecord]:
        return [item for _, item in self.select(order_by=[("createdAt", "DESCENDING")], limit=limit)]

    def due_for_completion(self, now: datetime, limit: int) -> list[TherapyBookingRecord]:
        filters = [Filter(AWAITING_COMPLETION, "==", True), Filter("endDateTime", "<=", now)]
        return [item for _, item in self.select(filters, limit=limit, index=DUE_FOR_COMPLETION)]


class TherapyWork(UnitOfWork):
    bookings = repository(BookingsRepository)
