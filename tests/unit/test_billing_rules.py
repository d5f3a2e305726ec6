"""The billing rules without I/O: the ledger's statuses, the refund policy acted on, the invoice issued, and
Stripe's signature scheme (the SDK's check, with headers made as Stripe makes them)."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime, timedelta

import pytest

from bloom.billing.models import Ledger, kept_refund, new_invoice, refund_amount
from bloom.billing.schemas import Payment, PaymentState
from bloom.billing.stripe_signature import StripeSignature
from bloom.core.errors import BloomError
from bloom.scheduling.models import refund_decision
from bloom.scheduling.schemas import Appointment, CancelledByRole, Money
from tests.support.settings import SettingsEnv
from tests.support.stripe_fake import WEBHOOK_SECRET, signature

AT = datetime(2030, 1, 7, 10, tzinfo=UTC)
PRICE = Money(amount=6000, currency="GBP")


def entry(amount: int, status: PaymentState, minutes: int = 0) -> Payment:
    return Payment(
        id=f"p{amount}{status}",
        invoice_id="inv",
        stripe_payment_intent_id="pi_1",
        amount=amount,
        status=status,
        at=AT + timedelta(minutes=minutes),
    )


@pytest.mark.parametrize(
    ("payments", "payment_status", "open_status", "cancelled_status"),
    [
        ([], "due", "open", "void"),
        ([entry(6000, "failed")], "due", "open", "void"),
        ([entry(6000, "succeeded")], "paid", "paid", "paid"),
        ([entry(6000, "succeeded"), entry(6000, "failed")], "paid", "paid", "paid"),  # a late failure never un-pays
        ([entry(6000, "succeeded"), entry(-1500, "refunded")], "partially_refunded", "paid", "paid"),
        ([entry(6000, "succeeded"), entry(-6000, "refunded")], "refunded", "refunded", "refunded"),
        ([entry(-6000, "refunded")], "due", "open", "void"),  # a refund seen before its payment waits for it
    ],
)
def test_statuses_follow_the_ledger(
    payments: list[Payment], payment_status: str, open_status: str, cancelled_status: str
) -> None:
    for ordered in itertools.permutations(payments):
        ledger = Ledger.of(ordered)
        assert ledger.payment_status() == payment_status
        assert ledger.invoice_status(cancelled=False) == open_status
        assert ledger.invoice_status(cancelled=True) == cancelled_status


def test_paid_at_is_the_payment_not_a_failure_or_refund() -> None:
    ledger = Ledger.of([entry(6000, "failed", 1), entry(6000, "succeeded", 5), entry(-100, "refunded", 9)])
    assert (ledger.paid, ledger.refunded, ledger.paid_at) == (6000, 100, AT + timedelta(minutes=5))


@pytest.mark.parametrize(
    ("role", "hours_before", "late_fee", "paid", "refunded"),
    [
        ("patient", 24, None, 6000, 6000),  # ≥ 24 h: everything paid goes back
        ("patient", 48, 2000, 6000, 6000),
        ("patient", 23, None, 6000, 0),  # late: the fee defaults to the whole price
        ("patient", 2, 2000, 6000, 4000),  # late: the therapist's fee is kept
        ("therapist", 1, 2000, 6000, 6000),
        ("practice_admin", 1, 2000, 6000, 6000),
        ("erasure", 1, 2000, 6000, 6000),
        ("patient", 48, None, 0, 0),  # never paid: nothing to give back (the invoice is voided)
        ("therapist", 1, None, 0, 0),
    ],
)
def test_refund_policy(
    role: CancelledByRole, hours_before: int, late_fee: int | None, paid: int, refunded: int
) -> None:
    now = AT - timedelta(hours=hours_before)
    decision = refund_decision(role, now=now, start=AT, price=PRICE, late_cancel_fee=late_fee)
    assert refund_amount(decision.amount, paid) == refunded


def test_a_charge_keeps_its_largest_cumulative_refund() -> None:
    assert kept_refund(None, 1500) == 1500
    assert kept_refund(entry(-1500, "refunded"), 4000) == 4000
    assert kept_refund(entry(-4000, "refunded"), 1500) is None  # an older event arriving late
    assert kept_refund(entry(-4000, "refunded"), 4000) is None


def appointment(status: str = "booked") -> Appointment:
    return Appointment.model_validate(
        {
            "id": "apt-1",
            "therapistId": "dr",
            "patientId": "pat",
            "start": AT,
            "end": AT + timedelta(minutes=50),
            "status": status,
            "meeting": None,
            "price": PRICE,
            "paymentStatus": "due",
            "cancelledAt": None,
            "cancelledBy": None,
            "cancellationReason": None,
            "refund": None,
            "createdAt": AT,
        }
    )


def test_an_invoice_names_no_one_and_is_void_when_issued_after_cancellation() -> None:
    issued = new_invoice(appointment(), "dr-user", 7, AT)
    assert (issued.id, issued.number, issued.total, issued.currency, issued.status) == ("apt-1", 7, 6000, "GBP", "open")
    assert [line.model_dump() for line in issued.lines] == [{"description": "Therapy session", "amount": 6000}]
    assert new_invoice(appointment("cancelled"), "dr-user", 8, AT).status == "void"


BODY = b'{"id":"evt_1","object":"event","type":"payment_intent.succeeded"}'


def verify(body: bytes, header: str | None) -> None:
    StripeSignature().verify(body, {} if header is None else {"stripe-signature": header})


def refusal(body: bytes, header: str | None) -> tuple[int, str]:
    with pytest.raises(BloomError) as raised:
        verify(body, header)
    return raised.value.status_code, str(raised.value.message)


def test_stripe_signature(settings_env: SettingsEnv) -> None:
    settings_env.set("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    now = int(time.time())
    verify(BODY, signature(BODY))
    verify(BODY, signature(BODY, timestamp=now - 290))
    verify(BODY, f"t={now},v1={'0' * 64},{signature(BODY, timestamp=now).split(',')[1]}")  # any v1 may match
    refused = ("STRIPE_SIGNATURE_INVALID", 400)
    for body, header in [
        (BODY, None),
        (BODY, ""),
        (BODY, "garbage"),
        (BODY + b" ", signature(BODY)),  # the raw body, byte for byte
        (BODY, signature(BODY, secret="whsec_other")),
        (BODY, signature(BODY, timestamp=now - 310)),  # stale: outside the 300 s tolerance
        (BODY, signature(BODY).replace("v1=", "v0=")),  # only the v1 scheme counts
        (b"\xff" + BODY, signature(b"\xff" + BODY)),
    ]:
        status, message = refusal(body, header)
        assert (message, status) == refused, header


def test_an_unconfigured_secret_refuses_everything(settings_env: SettingsEnv) -> None:
    settings_env.unset("STRIPE_WEBHOOK_SECRET")
    assert refusal(BODY, signature(BODY)) == (400, "STRIPE_SIGNATURE_INVALID")
