"""Invoices: issued once per priced appointment (when it is booked, or at the latest when its patient asks to pay)
with the practice's next number in the same transaction, read by their patient, their therapist or a practice
admin (anyone else: 404), and kept at erasure with the person's ids replaced."""

from __future__ import annotations

import uuid
from datetime import datetime

from bloom.billing import errors
from bloom.billing.models import InvoiceRecord, new_invoice
from bloom.billing.repository import BillingWork
from bloom.billing.schemas import InvoicePage, InvoicesQuery, InvoiceWithPayments
from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.platform import cursors
from bloom.practice import service as practice
from bloom.scheduling import service as scheduling
from bloom.users.schemas import Caller

PRACTICE = "practice"  # one practice per deployment: the key of its counter document
ISSUE_ATTEMPTS = 50  # every issue of the practice contends on its counter; a burst of bookings must still settle
ERASE_BATCH = 200
OWN_PAGE = 100
_log = get_logger(__name__)


def issue_invoice(appointment_id: str, *, now: datetime | None = None) -> InvoiceRecord | None:
    """The appointment's invoice, issued now if it has none (idempotent). The number is the practice's counter
    plus one, written in the same commit as the invoice: numbers have no gaps and no duplicates. None for
    an unknown or free appointment. A cancelled one still gets its number, void from the start.

    Every issue of the practice contends on the counter, so it is claimed without locks (`run_optimistically`):
    the invoice and the counter are read in one round trip, and the commit creates the invoice and advances the
    counter only if the counter is still as read; a lost race reads again. (Under Firestore's locks, a burst of
    bookings queued on the counter until the emulator's lock timeouts aborted them.) The appointment is read
    before: what the invoice copies never changes, and a cancellation is applied by the ledger's settlement."""
    moment = now or utcnow()
    with BillingWork() as uow:
        if (existing := uow.invoices.get(appointment_id)) is not None:
            return existing
        appointment = scheduling.appointment_in(uow, appointment_id)
        if appointment is None or appointment.price.amount == 0:
            return None
        therapist_user_id = practice.therapist_user_id_in(uow, appointment.therapist_id) or ""

    def work(uow: BillingWork) -> InvoiceRecord:
        fetched = uow.fetch([(uow.invoices, appointment_id), (uow.counters, PRACTICE)])
        existing = fetched.get(uow.invoices, appointment_id)
        if existing is not None:
            return existing
        counter = fetched.get(uow.counters, PRACTICE)
        number = (counter.last if counter is not None else 0) + 1
        record = new_invoice(appointment, therapist_user_id, number, moment)
        uow.advance_counter(PRACTICE, number, fetched.version(uow.counters, PRACTICE))
        uow.invoices.create(record.id, record)
        return record

    record = BillingWork.run_optimistically(work, max_attempts=ISSUE_ATTEMPTS)
    if record.issued_at == moment:
        _log.info("invoice issued", extra={"invoiceId": record.id})
    return record


def _may_see(caller: Caller, record: InvoiceRecord) -> bool:
    if caller.is_practice_admin or record.patient_id == caller.user.id:
        return True
    return caller.is_therapist and record.therapist_id == caller.user.therapist_profile_id


def invoice_for(caller: Caller, invoice_id: str) -> InvoiceWithPayments:
    """`GET invoices/:id` with its payments; someone else's is 404."""
    with BillingWork() as uow:
        record = uow.invoices.get(invoice_id)
        if record is None or not _may_see(caller, record):
            raise errors.INVOICE_NOT_FOUND.error()
        return _with_payments(uow, record)


def own_invoices_with_payments(caller: Caller) -> list[InvoiceWithPayments]:
    """Every invoice of the caller as a patient, each with its payments, in id order (the records export's)."""
    found: list[InvoiceWithPayments] = []
    after = None
    with BillingWork() as uow:
        while True:
            page = uow.invoices.matching({"patient_id": caller.user.id}, after, OWN_PAGE)
            found += [_with_payments(uow, record) for record in page]
            if len(page) < OWN_PAGE:
                return found
            after = cursors.AfterId(id=page[-1].id)


def _with_payments(uow: BillingWork, record: InvoiceRecord) -> InvoiceWithPayments:
    ordered = sorted(uow.payments.of_invoice(record.id), key=lambda item: (item.at, item.id))
    return InvoiceWithPayments(**record.out().model_dump(), payments=[item.out() for item in ordered])


def list_invoices(caller: Caller, query: InvoicesQuery) -> InvoicePage:
    """`GET invoices`: a practice admin's all (filtered), a therapist's their patients', anyone else's their own;
    the filters narrow each. Pages in id order."""
    after = cursors.decode(query.cursor, cursors.AfterId)
    equalities = {
        name: value
        for name, value in (
            ("patient_id", query.patient_id),
            ("therapist_id", query.therapist_id),
            ("status", query.status),
        )
        if value is not None
    }
    if not caller.is_practice_admin:
        own_field, own_id = (
            ("therapist_id", caller.user.therapist_profile_id)
            if caller.is_therapist and caller.user.therapist_profile_id is not None
            else ("patient_id", caller.user.id)
        )
        if equalities.setdefault(own_field, own_id) != own_id:  # a filter on someone else matches nothing
            return InvoicePage(items=[], next_cursor=None)
    with BillingWork() as uow:
        found = uow.invoices.matching(equalities, after, query.limit + 1)
    page = found[: query.limit]
    next_cursor = cursors.encode(cursors.AfterId(id=page[-1].id)) if len(found) > query.limit else None
    return InvoicePage(items=[record.out() for record in page], next_cursor=next_cursor)


def erase_billing_of(user_id: str) -> int:
    """Invoices and payments are financial records: they stay, with the person's ids (as patient, or as therapist
    with their profile id) replaced by one pseudonym per erasure. They never held a name or an email. Idempotent;
    returns how many invoices changed."""
    with BillingWork() as uow:
        found = uow.invoices.of_person(user_id)
    pseudonym = f"erased-{uuid.uuid4().hex}"
    for first in range(0, len(found), ERASE_BATCH):
        with BillingWork() as uow:
            for record in found[first : first + ERASE_BATCH]:
                changes: dict[str, str] = {}
                if record.patient_id == user_id:
                    changes["patient_id"] = pseudonym
                if record.therapist_user_id == user_id:
                    changes.update(therapist_user_id=pseudonym, therapist_id=pseudonym)
                uow.invoices.change(record.id, **changes, updated_at=utcnow())
    _log.info("billing of a deleted user pseudonymised", extra={"invoices": len(found)})
    return len(found)
