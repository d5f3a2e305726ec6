"""The billing area's documents: `invoices/{appointmentId}`, `payments/{id}` and `invoiceCounters/{practice}`."""

from __future__ import annotations

from datetime import datetime

from bloom.billing.models import InvoiceCounter, InvoiceRecord, PaymentRecord
from bloom.platform.cursors import AfterId
from bloom.platform.store.client import count_round_trip
from bloom.platform.store.repository import Filter, Repository
from bloom.platform.store.unit_of_work import UnitOfWork, repository

OF_INVOICE_MAX = 100  # an invoice has one payment, its failed attempts and one refunds record per charge
OF_PERSON_MAX = 1000


class InvoicesRepository(Repository[InvoiceRecord]):
    collection_name = "invoices"
    model = InvoiceRecord

    def matching(self, equalities: dict[str, str], after: AfterId | None, limit: int) -> list[InvoiceRecord]:
        """A page of invoices whose fields (model names) equal the values, in id order, after the cursor (equality
        filters on single-field indexes and the document id: no composite index)."""
        from google.cloud.firestore_v1.field_path import FieldPath

        query = self.query([Filter(self.stored_name(name), "==", value) for name, value in equalities.items()])
        if query is None:
            return []
        query = query.order_by(FieldPath.document_id())
        if after is not None:
            query = query.start_after({FieldPath.document_id(): self.ref(after.id)})
        count_round_trip()
        return [InvoiceRecord.model_validate(s.to_dict()) for s in query.limit(limit).stream()]

    def of_intent(self, intent_id: str) -> InvoiceRecord | None:
        rows = self.select([Filter("stripePaymentIntentId", "==", intent_id)], limit=1)
        return rows[0][1] if rows else None

    def of_person(self, user_id: str) -> list[InvoiceRecord]:
        """Invoices where the user (by user id) is the patient or the therapist, for erasure."""
        rows = [
            row
            for field in ("patientId", "therapistUserId")
            for row in self.select([Filter(field, "==", user_id)], limit=OF_PERSON_MAX)
        ]
        return list(dict(rows).values())  # by document id: an invoice of theirs on both sides once


class PaymentsRepository(Repository[PaymentRecord]):
    collection_name = "payments"
    model = PaymentRecord

    def of_invoice(self, invoice_id: str) -> list[PaymentRecord]:
        return [item for _, item in self.select([Filter("invoiceId", "==", invoice_id)], limit=OF_INVOICE_MAX)]


class CountersRepository(Repository[InvoiceCounter]):
    collection_name = "invoiceCounters"
    model = InvoiceCounter


class BillingWork(UnitOfWork):
    invoices = repository(InvoicesRepository)
    payments = repository(PaymentsRepository)
    counters = repository(CountersRepository)

    def advance_counter(self, practice: str, number: int, version: datetime | None) -> None:
        """Write the practice's counter as `number` only if it is as read (`version`, from `fetch`; None: it did
        not exist, so it is created): a concurrent issue that advanced it first fails this unit's commit
        (`StaleDocument`, or `DuplicateDocument` for the first number), and `run_optimistically` reads again."""
        counter = InvoiceCounter(last=number)
        if version is None:
            self.counters.create(practice, counter)
        else:
            self.update_if_unchanged(self.counters.ref(practice), self.counters.to_doc(counter), version)
