"""What the billing area shows callers and other areas: invoices, payments, payment intents, Stripe's events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from bloom.core.models import CamelModel, RequestModel
from bloom.platform.cursors import Cursor

InvoiceStatus = Literal["open", "paid", "void", "refunded"]
PaymentState = Literal["succeeded", "failed", "refunded"]
PAGE_MAX = 100
Id = Annotated[str, Field(min_length=1, max_length=128)]


class InvoiceLine(CamelModel):
    description: str
    amount: int = Field(description="Minor units (pence, cents)")


class Invoice(CamelModel):
    id: str
    number: int = Field(description="The practice's invoice number: 1, 2, 3… without gaps")
    patient_id: str
    therapist_id: str
    appointment_id: str
    lines: list[InvoiceLine]
    total: int
    currency: str
    status: InvoiceStatus
    issued_at: datetime
    paid_at: datetime | None


class Payment(CamelModel):
    """A payment received (`succeeded`), an attempt that failed (`failed`, counted nowhere) or money given back
    (`refunded`, a negative amount)."""

    id: str
    invoice_id: str
    stripe_payment_intent_id: str
    amount: int
    status: PaymentState
    at: datetime


class InvoiceWithPayments(Invoice):
    payments: list[Payment]


class InvoicePage(CamelModel):
    items: list[Invoice]
    next_cursor: str | None


class InvoicesQuery(RequestModel):
    """`GET invoices`: the caller's own; a practice admin sees all, filtered by any of these."""

    patient_id: Id | None = None
    therapist_id: Id | None = None
    status: InvoiceStatus | None = None
    cursor: Cursor | None = None
    limit: int = Field(default=20, ge=1, le=PAGE_MAX)


class PaymentIntent(CamelModel):
    """What the frontend needs to confirm the payment with Stripe Elements."""

    payment_intent_id: str
    client_secret: str
    amount: int
    currency: str


# ---------------------------------------------------------------- Stripe's webhook events (the fields we read)


class StripeObject(BaseModel):
    """`data.object` of an event: a PaymentIntent or a Charge, reduced to what the ledger reads."""

    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, Field(min_length=1, max_length=255)]
    object: str
    amount: int | None = None
    amount_received: int | None = None
    amount_refunded: int | None = None
    currency: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    payment_intent: str | None = None


class StripeEventData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    object: StripeObject


class StripeEvent(BaseModel):
    """A Stripe event (`evt_…`): its id is the delivery's idempotency key."""

    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, Field(min_length=1, max_length=255)]
    type: str
    created: int
    data: StripeEventData
