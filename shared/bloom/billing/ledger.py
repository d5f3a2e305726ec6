"""The payment ledger: Stripe's webhook events recorded as Payments (state-based, see `models`), and after each
the invoice's status and the appointment's `paymentStatus` recomputed from the records, in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bloom.billing.models import (
    InvoiceRecord,
    Ledger,
    PaymentRecord,
    failure_id,
    kept_refund,
    payment_id,
    refunds_id,
)
from bloom.billing.repository import BillingWork
from bloom.billing.schemas import PaymentState, StripeEvent
from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.scheduling import service as scheduling
from bloom.scheduling.schemas import Appointment

_log = get_logger(__name__)
HANDLED = ("payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded")
# the entry as recorded so far (or None) -> the entry to write, or None when it says as much already
Entry = Callable[[PaymentRecord | None], PaymentRecord | None]


@dataclass(frozen=True)
class Settled:
    """An invoice and its appointment after the ledger was brought up to date, and what its payments add up to."""

    invoice: InvoiceRecord
    appointment: Appointment | None
    ledger: Ledger


def _settle_in(
    uow: BillingWork, invoice: InvoiceRecord, payments: list[PaymentRecord], appointment: Appointment | None
) -> Settled:
    """Write the invoice's status and the appointment's payment status that follow from `payments` (all reads
    done: a transaction writes last)."""
    ledger = Ledger.of(payments)
    status = ledger.invoice_status(cancelled=appointment is not None and appointment.status == "cancelled")
    changes = {"status": status, "paid_at": ledger.paid_at}
    if any(getattr(invoice, name) != value for name, value in changes.items()):
        uow.invoices.change(invoice.id, **changes, updated_at=utcnow())
        invoice = invoice.model_copy(update=changes)
    if appointment is not None:
        scheduling.set_payment_status_in(uow, appointment, ledger.payment_status())
    return Settled(invoice, appointment, ledger)


def settle(invoice_id: str, entry_id: str | None = None, entry: Entry | None = None) -> Settled | None:
    """In one transaction: write the ledger entry `entry_id` as `entry` decides (if given), then the statuses that
    follow. None when there is no such invoice."""

    def work(uow: BillingWork) -> Settled | None:
        invoice = uow.invoices.get(invoice_id)
        if invoice is None:
            return None
        payments = {item.id: item for item in uow.payments.of_invoice(invoice_id)}
        appointment = scheduling.appointment_in(uow, invoice.appointment_id)
        if entry_id is not None and entry is not None:
            written = entry(payments.get(entry_id))
            if written is not None:
                uow.payments.save(entry_id, written)
                payments[entry_id] = written
        return _settle_in(uow, invoice, list(payments.values()), appointment)

    return BillingWork.run_in_transaction(work)


def _invoice_of_intent(intent_id: str | None) -> InvoiceRecord | None:
    if intent_id is None:
        return None
    with BillingWork() as uow:
        return uow.invoices.of_intent(intent_id)


def record_event(event: StripeEvent) -> Settled | None:
    """Record what a Stripe event says in the ledger (idempotent; any order). Unknown types, and intents or charges
    that are not ours, change nothing (None)."""
    found = event.data.object
    intent_id = found.id if event.type.startswith("payment_intent.") else found.payment_intent
    invoice = _invoice_of_intent(intent_id) if event.type in HANDLED else None
    if intent_id is None or invoice is None:
        _log.info("stripe event needs nothing", extra={"eventType": event.type})
        return None

    def payment(entry_id: str, amount: int, status: PaymentState) -> PaymentRecord:
        at = datetime.fromtimestamp(event.created, UTC)
        return PaymentRecord(
            id=entry_id, invoice_id=invoice.id, stripe_payment_intent_id=intent_id, amount=amount, status=status, at=at
        )

    if event.type == "payment_intent.succeeded":
        received = found.amount_received if found.amount_received is not None else found.amount or 0
        paid = payment(payment_id(intent_id), received, "succeeded")
        return settle(invoice.id, paid.id, lambda existing: paid if existing is None else None)
    if event.type == "payment_intent.payment_failed":
        failed = payment(failure_id(intent_id, event.id), found.amount or 0, "failed")
        return settle(invoice.id, failed.id, lambda existing: failed if existing is None else None)
    charge_refunds = refunds_id(found.id)

    def refunded(existing: PaymentRecord | None) -> PaymentRecord | None:
        cumulative = kept_refund(existing, found.amount_refunded or 0)
        return None if cumulative is None else payment(charge_refunds, -cumulative, "refunded")

    return settle(invoice.id, charge_refunds, refunded)
