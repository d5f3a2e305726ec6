"""The billing area's stored records and the ledger's rules (no I/O): what an invoice's payments add up to, the
invoice's status and the appointment's payment status that follow from them, and how much a cancellation refunds.

The ledger is state-based so Stripe's events may come in any order and any number of times: the payment of an
intent is keyed by the intent, the refunds of a charge by the charge (Stripe reports the charge's cumulative
refunded amount, and the record keeps the largest seen), a failed attempt by its event. Statuses are computed from
the records, never moved step by step, so a late failure never un-pays and a refund seen before the payment still
ends in the right status once the payment is recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bloom.billing.schemas import Invoice, InvoiceLine, InvoiceStatus, Payment
from bloom.core.models import CamelModel
from bloom.scheduling.schemas import Appointment, PaymentStatus

# No names, no clinical text, no date (a reschedule moves it; the appointment has it): what was sold, nothing more.
SESSION_LINE = "Therapy session"


class InvoiceRecord(Invoice):
    """`invoices/{appointmentId}`: one invoice per priced appointment."""

    therapist_user_id: str
    stripe_payment_intent_id: str | None = None
    updated_at: datetime

    def out(self) -> Invoice:
        return Invoice.model_validate(self.model_dump(include=set(Invoice.model_fields)))


class PaymentRecord(Payment):
    """`payments/{id}`: the id says what it records (see `payment_id`, `refunds_id`, `failure_id`)."""

    def out(self) -> Payment:
        return Payment.model_validate(self.model_dump(include=set(Payment.model_fields)))


class InvoiceCounter(CamelModel):
    """`invoiceCounters/{practice}`: the last number issued; incremented in the transaction that issues one."""

    last: int


def payment_id(intent_id: str) -> str:
    return intent_id


def refunds_id(charge_id: str) -> str:
    return f"{charge_id}-refunds"


def failure_id(intent_id: str, event_id: str) -> str:
    return f"{intent_id}-failed-{event_id}"


def new_invoice(appointment: Appointment, therapist_user_id: str, number: int, now: datetime) -> InvoiceRecord:
    """The invoice of a priced appointment: one line, the appointment's price; void from the start when the
    appointment was cancelled before it was issued."""
    return InvoiceRecord(
        id=appointment.id,
        number=number,
        patient_id=appointment.patient_id,
        therapist_id=appointment.therapist_id,
        therapist_user_id=therapist_user_id,
        appointment_id=appointment.id,
        lines=[InvoiceLine(description=SESSION_LINE, amount=appointment.price.amount)],
        total=appointment.price.amount,
        currency=appointment.price.currency,
        status="void" if appointment.status == "cancelled" else "open",
        issued_at=now,
        paid_at=None,
        updated_at=now,
    )


@dataclass(frozen=True)
class Ledger:
    """What an invoice's payments add up to: `paid` received, `refunded` given back (positive)."""

    paid: int
    refunded: int
    paid_at: datetime | None

    @classmethod
    def of(cls, payments: Iterable[Payment]) -> Ledger:
        received = [p for p in payments if p.status == "succeeded"]
        given_back = sum(-p.amount for p in payments if p.status == "refunded")
        return cls(
            paid=sum(p.amount for p in received),
            refunded=given_back,
            paid_at=min((p.at for p in received), default=None),
        )

    def payment_status(self) -> PaymentStatus:
        """The appointment's `paymentStatus` (of a priced appointment)."""
        if self.paid == 0:
            return "due"
        if self.refunded == 0:
            return "paid"
        return "refunded" if self.refunded >= self.paid else "partially_refunded"

    def invoice_status(self, *, cancelled: bool) -> InvoiceStatus:
        """`open` until paid (`void` once its appointment is cancelled unpaid), `refunded` when everything paid
        went back, else `paid` (a partial refund leaves it paid)."""
        if self.paid == 0:
            return "void" if cancelled else "open"
        return "refunded" if self.refunded >= self.paid else "paid"


def refund_amount(decided: int, paid: int) -> int:
    """What a cancellation gives back: the policy's decision (of the full price), out of what was really paid.
    The same for every run, so the Stripe refund's idempotency key always meets the same request."""
    return max(0, min(decided, paid))


def kept_refund(existing: Payment | None, cumulative: int) -> int | None:
    """The refunds record of a charge after an event reporting `cumulative` refunded: the largest seen (events
    arrive in any order); None when the record already says as much."""
    if existing is not None and -existing.amount >= cumulative:
        return None
    return cumulative
