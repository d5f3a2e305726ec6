"""Paying an appointment (a Stripe PaymentIntent per appointment) and refunds by the cancellation policy.

The intent's idempotency key comes from the appointment and its id is kept on the invoice, so the patient gets
the same intent until it succeeds. Refunds are asked of Stripe with the key `refund-{appointmentId}` and are
recorded only when Stripe confirms them (`charge.refunded`, see `ledger`).
"""

from __future__ import annotations

from bloom.billing import errors, stripe_payments
from bloom.billing.invoices import issue_invoice
from bloom.billing.ledger import Settled, record_event, settle
from bloom.billing.models import InvoiceRecord, refund_amount
from bloom.billing.repository import BillingWork
from bloom.billing.schemas import PaymentIntent, StripeEvent
from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.platform.store.request_checks import settle_checks
from bloom.scheduling import errors as scheduling_errors
from bloom.scheduling import service as scheduling
from bloom.users.schemas import Caller

_log = get_logger(__name__)


def intent_key(appointment_id: str) -> str:
    return f"payment-intent-{appointment_id}"


def refund_key(appointment_id: str) -> str:
    return f"refund-{appointment_id}"


def payment_intent_for(caller: Caller, appointment_id: str) -> PaymentIntent:
    """`POST appointments/:id/payment-intent`, its patient only (anyone else: 404): the appointment's intent,
    created on the first call and the same one on every call until it succeeds. 409 NOTHING_TO_PAY for a free,
    cancelled or refunded appointment, ALREADY_PAID once paid."""
    appointment = scheduling.get_appointment(appointment_id)
    if appointment.patient_id != caller.user.id:
        raise scheduling_errors.APPOINTMENT_NOT_FOUND.error()
    if appointment.payment_status == "paid":
        raise errors.ALREADY_PAID.error()
    if appointment.status != "booked" or appointment.payment_status != "due":
        raise errors.NOTHING_TO_PAY.error()
    invoice = issue_invoice(appointment_id)
    if invoice is None:  # the appointment went away or became free meanwhile
        raise errors.NOTHING_TO_PAY.error()
    if invoice.stripe_payment_intent_id is not None:
        intent = stripe_payments.retrieve_intent(invoice.stripe_payment_intent_id)
        if intent.status == "succeeded":
            raise errors.ALREADY_PAID.error()
    else:
        settle_checks()  # a refused request (429) asks nothing of Stripe
        intent = stripe_payments.create_intent(
            amount=invoice.total,
            currency=invoice.currency,
            metadata={"appointmentId": appointment.id, "patientId": appointment.patient_id},
            idempotency_key=intent_key(appointment_id),
        )
        _remember_intent(invoice, intent.id)
    return PaymentIntent(
        payment_intent_id=intent.id, client_secret=intent.client_secret, amount=intent.amount, currency=intent.currency
    )


def _remember_intent(invoice: InvoiceRecord, intent_id: str) -> None:
    """Keep the intent's id on the invoice (concurrent first calls got the same intent from the same key)."""

    def work(uow: BillingWork) -> None:
        current = uow.invoices.get(invoice.id)
        if current is not None and current.stripe_payment_intent_id is None:
            uow.invoices.change(invoice.id, stripe_payment_intent_id=intent_id, updated_at=utcnow())

    BillingWork.run_in_transaction(work)


def refund_by_policy(settled: Settled) -> int:
    """Ask Stripe to give back what the cancellation policy decided, out of what was paid (nothing when unpaid or
    the late-cancel fee keeps it all); the amount asked. Recorded when `charge.refunded` arrives."""
    appointment, invoice = settled.appointment, settled.invoice
    if appointment is None or appointment.refund is None or invoice.stripe_payment_intent_id is None:
        return 0
    amount = refund_amount(appointment.refund.amount, settled.ledger.paid)
    if amount == 0:
        return 0
    stripe_payments.create_refund(
        intent_id=invoice.stripe_payment_intent_id, amount=amount, idempotency_key=refund_key(appointment.id)
    )
    _log.info("refund asked of stripe", extra={"invoiceId": invoice.id, "reason": appointment.refund.reason})
    return amount


def refund_cancelled(appointment_id: str) -> int:
    """On `appointment.cancelled`: a paid appointment is refunded by the policy; an unpaid one's invoice becomes
    void. Idempotent (the refund's key is the appointment's)."""
    invoice = issue_invoice(appointment_id)
    settled = settle(invoice.id) if invoice is not None else None
    return refund_by_policy(settled) if settled is not None else 0


def handle_stripe_event(event: StripeEvent) -> None:
    """The webhook's worker: record the event; a payment that succeeds on an appointment cancelled meanwhile is
    refunded by the policy at once."""
    settled = record_event(event)
    if (
        event.type == "payment_intent.succeeded"
        and settled is not None
        and settled.appointment is not None
        and settled.appointment.status == "cancelled"
    ):
        refund_by_policy(settled)
