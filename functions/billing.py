"""Billing: paying an appointment through Stripe, invoices, the Stripe webhook (the payment ledger), invoices
issued on booking, refunds by the cancellation policy, and the erasure of a deleted user's ids from invoices.

Someone else's appointment or invoice is answered like an unknown one (404).
"""

from __future__ import annotations

from bloom.api import HttpContext, http_function
from bloom.billing import errors, invoices, payments
from bloom.billing.schemas import InvoicePage, InvoicesQuery, InvoiceWithPayments, PaymentIntent, StripeEvent
from bloom.billing.stripe_signature import StripeSignature
from bloom.platform.cursors import INVALID_CURSOR
from bloom.platform.events import Event
from bloom.platform.http import Empty
from bloom.platform.registry import Role, Sdk
from bloom.platform.subscriber import event_function
from bloom.platform.webhooks import WebhookDelivery, webhook_function
from bloom.scheduling import errors as scheduling_errors
from bloom.scheduling.events import APPOINTMENT_BOOKED, APPOINTMENT_CANCELLED, AppointmentBooked, AppointmentCancelled
from bloom.users.events import USER_DELETED, UserDeleted

TAGS = ("billing",)
BASE = "/api/v1/practice"
STRIPE_KEY = ("STRIPE_SECRET_KEY",)
TALKS_TO_STRIPE = (Sdk.FIRESTORE, Sdk.STRIPE)


@http_function(
    "POST",
    f"{BASE}/appointments/{{appointment_id}}/payment-intent",
    role=Role.PRACTICE_USER,
    response=PaymentIntent,
    summary="The appointment's Stripe PaymentIntent (its patient): the same one until it succeeds",
    rate_limit="30/minute per user",
    errors=(
        scheduling_errors.APPOINTMENT_NOT_FOUND,
        errors.ALREADY_PAID,
        errors.NOTHING_TO_PAY,
        errors.PAYMENTS_UNAVAILABLE,
    ),
    secrets=STRIPE_KEY,
    sdks=TALKS_TO_STRIPE,
    tags=TAGS,
)
def create_payment_intent(ctx: HttpContext[Empty, Empty]) -> PaymentIntent:
    return payments.payment_intent_for(ctx.caller, ctx.path["appointment_id"])


@http_function(
    "GET",
    f"{BASE}/invoices",
    role=Role.PRACTICE_USER,
    query=InvoicesQuery,
    response=InvoicePage,
    summary="Invoices: the caller's own (patient or therapist); a practice admin's all, filtered; cursor pages",
    errors=(INVALID_CURSOR,),
    tags=TAGS,
)
def list_invoices(ctx: HttpContext[Empty, InvoicesQuery]) -> InvoicePage:
    return invoices.list_invoices(ctx.caller, ctx.query)


@http_function(
    "GET",
    f"{BASE}/invoices/{{invoice_id}}",
    role=Role.PRACTICE_USER,
    response=InvoiceWithPayments,
    summary="One invoice with its payments (its patient, its therapist or a practice admin)",
    errors=(errors.INVOICE_NOT_FOUND,),
    tags=TAGS,
)
def get_invoice(ctx: HttpContext[Empty, Empty]) -> InvoiceWithPayments:
    return invoices.invoice_for(ctx.caller, ctx.path["invoice_id"])


@webhook_function(
    "/api/webhooks/stripe",
    verify=StripeSignature(),
    body=StripeEvent,
    idempotency_key=lambda request: request.body.id,
    accepted_status=200,
    summary=(
        "Stripe events signed with `Stripe-Signature` (checked by the SDK, 300 s tolerance; else 400):"
        " payment_intent.succeeded / payment_failed and charge.refunded recorded in the payment ledger, others"
        " ignored"
    ),
    secrets=STRIPE_KEY,
    sdks=TALKS_TO_STRIPE,
)
def stripe_webhook(delivery: WebhookDelivery[StripeEvent]) -> None:
    payments.handle_stripe_event(delivery.body)


@event_function(APPOINTMENT_BOOKED, summary="Issue the invoice of a priced appointment (numbered, gap-free)")
def issue_invoice_on_booking(event: Event[AppointmentBooked]) -> None:
    invoices.issue_invoice(event.payload.appointment_id)


@event_function(
    APPOINTMENT_CANCELLED,
    summary="Refund a cancelled appointment's payment by the cancellation policy (Stripe), or void its invoice",
    secrets=STRIPE_KEY,
    sdks=TALKS_TO_STRIPE,
)
def refund_cancelled_appointment(event: Event[AppointmentCancelled]) -> None:
    payments.refund_cancelled(event.payload.appointment_id)


@event_function(USER_DELETED, summary="Replace a deleted user's ids on invoices (financial records are kept)")
def erase_billing_of_deleted_user(event: Event[UserDeleted]) -> None:
    invoices.erase_billing_of(event.payload.user_id)
