"""Billing against the emulators and the fake Stripe (the real `stripe` SDK talking to it): paying an appointment,
the ledger from Stripe's events in every order and twice each, refunds by the cancellation policy, gap-free invoice
numbers under concurrent issues, erasure, and the webhook over HTTP (signed as Stripe signs; bad or stale
signatures refused with nothing written; duplicate and concurrent deliveries recorded once)."""

from __future__ import annotations

import itertools
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer

from bloom.billing import invoices, payments
from bloom.billing.errors import PAYMENTS_UNAVAILABLE
from bloom.billing.models import InvoiceRecord, PaymentRecord
from bloom.billing.repository import BillingWork, InvoicesRepository, PaymentsRepository
from bloom.billing.schemas import InvoicesQuery, StripeEvent
from bloom.core.errors import BloomError, PermanentEventError
from bloom.scheduling import appointments, availability, holds
from bloom.scheduling import service as scheduling
from bloom.scheduling.schemas import Appointment, AvailabilityBody, CancelAppointment, CreateAppointment, CreateHold
from infra.stack_runner import RunningStack
from tests.support.events import recorded_events
from tests.support.scheduling import admin_caller, patient_caller, therapist_caller
from tests.support.scheduling import availability as availability_body
from tests.support.stripe_fake import StripeFake, signature
from tests.support.wait import eventually

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)  # a Monday
DR = therapist_caller("dr-user", "dr")
PAT, OTHER = patient_caller("pat"), patient_caller("other")


@pytest.fixture
def stripe(stack: RunningStack, httpserver: HTTPServer) -> StripeFake:
    return StripeFake().install(httpserver)


def at(hour: int, days: int = 0) -> datetime:
    return NOW.replace(hour=hour) + timedelta(days=days)


def booked(
    hour: int = 10, days: int = 0, patient: Any = PAT, late_cancel_fee: int | None = 2000, therapist: Any = DR
) -> Appointment:
    profile = therapist.user.therapist_profile_id
    rules = availability_body(lateCancelFee=late_cancel_fee)
    availability.put_availability(therapist, profile, AvailabilityBody.model_validate(rules), now=NOW)
    hold = holds.create_hold(patient, CreateHold(therapist_id=profile, start=at(hour, days)), now=NOW)
    return appointments.book(patient, CreateAppointment(hold_id=hold.id), now=NOW)


def invoice_of(appointment_id: str) -> InvoiceRecord:
    found = InvoicesRepository().get(appointment_id)
    assert found is not None
    return found


def ledger(appointment_id: str) -> list[tuple[str, int]]:
    with BillingWork() as uow:
        found = uow.payments.of_invoice(appointment_id)
    return sorted((item.status, item.amount) for item in found)


def state(appointment_id: str) -> tuple[str, str]:
    """(the appointment's paymentStatus, the invoice's status)."""
    return scheduling.get_appointment(appointment_id).payment_status, invoice_of(appointment_id).status


def deliver_in_process(event: dict[str, Any]) -> None:
    payments.handle_stripe_event(StripeEvent.model_validate(event))


def refunds_asked(stripe: StripeFake, appointment_id: str) -> list[dict[str, str]]:
    """The refunds asked for this appointment (the stack's subscribers may still be acting on earlier tests')."""
    return [form for form, key in stripe.posts("/v1/refunds") if key == f"refund-{appointment_id}"]


def refused(work: Any) -> str:
    with pytest.raises(BloomError) as raised:
        work()
    return str(raised.value.message)


def test_paying_an_appointment(stripe: StripeFake) -> None:
    appointment = booked()
    intent = payments.payment_intent_for(PAT, appointment.id)
    again = payments.payment_intent_for(PAT, appointment.id)
    assert (intent.amount, intent.currency) == (6000, "gbp")
    assert again.payment_intent_id == intent.payment_intent_id and again.client_secret == intent.client_secret
    created = stripe.posts("/v1/payment_intents")
    assert created == [
        (
            {
                "amount": "6000",
                "currency": "gbp",
                "metadata[appointmentId]": appointment.id,
                "metadata[patientId]": "pat",
                "automatic_payment_methods[enabled]": "true",
            },
            f"payment-intent-{appointment.id}",
        )
    ]
    assert refused(lambda: payments.payment_intent_for(OTHER, appointment.id)) == "APPOINTMENT NOT FOUND"
    assert refused(lambda: payments.payment_intent_for(DR, appointment.id)) == "APPOINTMENT NOT FOUND"
    invoice = invoice_of(appointment.id)
    assert (invoice.total, invoice.stripe_payment_intent_id) == (6000, intent.payment_intent_id)
    assert state(appointment.id) == ("due", "open")

    succeeded = stripe.succeed(intent.payment_intent_id)
    deliver_in_process(succeeded)
    deliver_in_process(succeeded)
    assert state(appointment.id) == ("paid", "paid")
    assert ledger(appointment.id) == [("succeeded", 6000)]
    assert invoice_of(appointment.id).paid_at == datetime.fromtimestamp(succeeded["created"], UTC)
    assert refused(lambda: payments.payment_intent_for(PAT, appointment.id)) == "ALREADY_PAID"


def test_the_same_intent_until_it_succeeds_even_when_its_webhook_is_late(stripe: StripeFake) -> None:
    appointment = booked()
    intent = payments.payment_intent_for(PAT, appointment.id)
    stripe.succeed(intent.payment_intent_id)  # paid at Stripe; the event has not arrived yet
    assert refused(lambda: payments.payment_intent_for(PAT, appointment.id)) == "ALREADY_PAID"
    assert len(stripe.posts("/v1/payment_intents")) == 1


def test_a_free_or_cancelled_appointment_has_nothing_to_pay(stripe: StripeFake) -> None:
    availability.put_availability(
        DR, "dr", AvailabilityBody.model_validate(availability_body(price={"amount": 0, "currency": "GBP"})), now=NOW
    )
    hold = holds.create_hold(PAT, CreateHold(therapist_id="dr", start=at(10)), now=NOW)
    free = appointments.book(PAT, CreateAppointment(hold_id=hold.id), now=NOW)
    assert refused(lambda: payments.payment_intent_for(PAT, free.id)) == "NOTHING_TO_PAY"
    assert invoices.issue_invoice(free.id) is None
    priced = booked(11)
    appointments.cancel(PAT, priced.id, CancelAppointment(), now=NOW)
    assert refused(lambda: payments.payment_intent_for(PAT, priced.id)) == "NOTHING_TO_PAY"
    assert stripe.posts("/v1/payment_intents") == []


ORDERS = list(itertools.permutations(("succeeded", "failed", "refunded")))


def test_every_order_of_events_each_delivered_twice_ends_the_same(stripe: StripeFake) -> None:
    for hour, order in enumerate(ORDERS, start=10):
        appointment = booked(hour)
        intent_id = payments.payment_intent_for(PAT, appointment.id).payment_intent_id
        events = {
            "failed": stripe.fail(intent_id),
            "succeeded": stripe.succeed(intent_id),
            "refunded": stripe.refund_directly(intent_id, 1500),
        }
        for kind in order:
            deliver_in_process(events[kind])
            deliver_in_process(events[kind])
        assert state(appointment.id) == ("partially_refunded", "paid"), order
        assert ledger(appointment.id) == [("failed", 6000), ("refunded", -1500), ("succeeded", 6000)], order


def test_refund_events_keep_the_largest_cumulative_amount(stripe: StripeFake) -> None:
    appointment = booked()
    intent_id = payments.payment_intent_for(PAT, appointment.id).payment_intent_id
    deliver_in_process(stripe.succeed(intent_id))
    first = stripe.refund_directly(intent_id, 1500)
    second = stripe.refund_directly(intent_id, 4500)
    deliver_in_process(second)
    deliver_in_process(first)  # older, arriving late
    assert ledger(appointment.id) == [("refunded", -6000), ("succeeded", 6000)]
    assert state(appointment.id) == ("refunded", "refunded")


@pytest.mark.parametrize(
    ("caller", "hours_before", "refunded", "final"),
    [
        (PAT, 25, 6000, ("refunded", "refunded")),  # patient, at least 24 h before: everything
        (PAT, 2, 4000, ("partially_refunded", "paid")),  # patient, late: the 2000 fee is kept
        (DR, 2, 6000, ("refunded", "refunded")),  # therapist: everything
        (admin_caller(), 2, 6000, ("refunded", "refunded")),  # practice admin: everything
    ],
)
def test_cancellation_refunds_by_policy_and_records_on_confirmation(
    stripe: StripeFake, caller: Any, hours_before: int, refunded: int, final: tuple[str, str]
) -> None:
    appointment = booked()
    intent_id = payments.payment_intent_for(PAT, appointment.id).payment_intent_id
    deliver_in_process(stripe.succeed(intent_id))
    appointments.cancel(
        caller, appointment.id, CancelAppointment(), now=appointment.start - timedelta(hours=hours_before)
    )
    assert payments.refund_cancelled(appointment.id) == refunded
    assert payments.refund_cancelled(appointment.id) == refunded  # the same key and amount: Stripe's replay
    assert {form["amount"] for form in refunds_asked(stripe, appointment.id)} == {str(refunded)}
    assert [item["amount"] for item in stripe.refunds.values() if item["payment_intent"] == intent_id] == [refunded]
    assert state(appointment.id) == ("paid", "paid")  # recorded only when Stripe confirms
    deliver_in_process(stripe.refund_event(intent_id))
    assert state(appointment.id) == final
    assert ledger(appointment.id) == [("refunded", -refunded), ("succeeded", 6000)]


def test_a_late_patient_cancellation_keeping_the_whole_price_refunds_nothing(stripe: StripeFake) -> None:
    appointment = booked(late_cancel_fee=None)
    intent_id = payments.payment_intent_for(PAT, appointment.id).payment_intent_id
    deliver_in_process(stripe.succeed(intent_id))
    appointments.cancel(PAT, appointment.id, CancelAppointment(), now=appointment.start - timedelta(hours=1))
    assert payments.refund_cancelled(appointment.id) == 0
    assert refunds_asked(stripe, appointment.id) == []
    assert state(appointment.id) == ("paid", "paid")


def test_an_unpaid_cancelled_appointment_voids_its_invoice_and_a_late_payment_is_refunded(stripe: StripeFake) -> None:
    appointment = booked()
    intent_id = payments.payment_intent_for(PAT, appointment.id).payment_intent_id
    appointments.cancel(DR, appointment.id, CancelAppointment(), now=NOW)
    assert payments.refund_cancelled(appointment.id) == 0
    assert state(appointment.id) == ("due", "void")
    deliver_in_process(stripe.succeed(intent_id))  # the patient paid while it was being cancelled
    assert state(appointment.id) == ("paid", "paid")
    assert [form["amount"] for form in refunds_asked(stripe, appointment.id)] == ["6000"]


def test_a_refund_stripe_refuses_is_not_asked_again(stripe: StripeFake) -> None:
    appointment = booked()
    intent_id = payments.payment_intent_for(PAT, appointment.id).payment_intent_id
    deliver_in_process(stripe.succeed(intent_id))
    stripe.refund_directly(intent_id, 6000)  # refunded in Stripe's dashboard; its event not delivered yet
    appointments.cancel(DR, appointment.id, CancelAppointment(), now=NOW)
    with pytest.raises(PermanentEventError):
        payments.refund_cancelled(appointment.id)
    assert state(appointment.id) == ("paid", "paid")


def test_stripe_down_is_502_and_nothing_is_remembered(stripe: StripeFake) -> None:
    appointment = booked()
    stripe.down = True
    assert refused(lambda: payments.payment_intent_for(PAT, appointment.id)) == PAYMENTS_UNAVAILABLE.message
    assert invoice_of(appointment.id).stripe_payment_intent_id is None
    stripe.down = False
    intent = payments.payment_intent_for(PAT, appointment.id)
    assert invoice_of(appointment.id).stripe_payment_intent_id == intent.payment_intent_id


def test_invoice_numbers_are_gap_free_under_concurrent_issues(stripe: StripeFake) -> None:
    booked_ids = [booked(hour, days=day).id for day in range(2) for hour in range(8, 18)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        issued = [record for record in pool.map(invoices.issue_invoice, booked_ids) if record is not None]
    assert sorted(record.id for record in issued) == sorted(booked_ids)
    assert len({record.number for record in issued}) == 20
    # Across the practice (the stack's booking subscriber issues too, and may still be issuing earlier tests'):
    everything = sorted(record.number for _, record in InvoicesRepository().select())
    assert everything == list(range(1, len(everything) + 1))


def test_erasure_keeps_invoices_without_the_persons_ids(stripe: StripeFake) -> None:
    appointment = booked()
    intent_id = payments.payment_intent_for(PAT, appointment.id).payment_intent_id
    deliver_in_process(stripe.succeed(intent_id))
    other = booked(12, patient=OTHER)
    invoices.issue_invoice(other.id)
    assert invoices.erase_billing_of("pat") >= 1  # the stack's subscribers may still be issuing earlier tests'
    assert invoices.erase_billing_of("pat") == 0
    kept = invoice_of(appointment.id)
    assert kept.patient_id.startswith("erased-") and kept.total == 6000 and kept.status == "paid"
    assert "pat" not in kept.model_dump().values()
    assert ledger(appointment.id) == [("succeeded", 6000)]
    assert invoice_of(other.id).patient_id == "other"


def test_invoices_are_read_by_their_patient_their_therapist_and_practice_admins(stripe: StripeFake) -> None:
    # People of this test only: the stack's subscribers may still be issuing invoices of earlier tests' people.
    me, them, dr = patient_caller("reader"), patient_caller("reader-2"), therapist_caller("dr-reads-user", "dr-reads")
    mine = [booked(hour, patient=me, therapist=dr) for hour in (10, 11, 12)]
    theirs = booked(14, patient=them, therapist=dr)
    for appointment in [*mine, theirs]:
        invoices.issue_invoice(appointment.id)
    deliver_in_process(stripe.succeed(payments.payment_intent_for(me, mine[0].id).payment_intent_id))

    def listed(caller: Any, **query: Any) -> list[str]:
        found: list[str] = []
        cursor = None
        while True:
            page = invoices.list_invoices(caller, InvoicesQuery.model_validate({**query, "cursor": cursor, "limit": 2}))
            found += [item.appointment_id for item in page.items]
            if page.next_cursor is None:
                return sorted(found)
            cursor = page.next_cursor

    assert listed(me) == sorted(item.id for item in mine)
    assert listed(me, patientId="reader-2") == []  # a filter narrows; it never widens
    assert listed(them) == [theirs.id]
    assert listed(dr) == sorted(item.id for item in [*mine, theirs])
    assert listed(therapist_caller("dr2-user", "dr2")) == []
    assert listed(admin_caller(), patientId="reader", status="paid") == [mine[0].id]
    assert listed(admin_caller(), therapistId="dr-reads", status="open") == sorted(i.id for i in [*mine[1:], theirs])
    detail = invoices.invoice_for(me, mine[0].id)
    assert (detail.status, [(p.status, p.amount) for p in detail.payments]) == ("paid", [("succeeded", 6000)])
    assert invoices.invoice_for(admin_caller(), theirs.id).patient_id == "reader-2"
    for caller in (them, therapist_caller("dr2-user", "dr2")):
        assert refused(lambda caller=caller: invoices.invoice_for(caller, mine[0].id)) == "INVOICE NOT FOUND"
    assert refused(lambda: invoices.list_invoices(PAT, InvoicesQuery(cursor="../x"))) == "INVALID_CURSOR"


# ---------------------------------------------------------------- the webhook over HTTP


def post_event(stack: RunningStack, event: dict[str, Any], header: str | None = None) -> requests.Response:
    body = json.dumps(event).encode()
    headers = {"Content-Type": "application/json", "Stripe-Signature": header or signature(body)}
    return requests.post(f"{stack.api}/webhooks/stripe", data=body, headers=headers, timeout=30)


def test_a_bad_or_stale_signature_is_400_and_nothing_is_written(stack: RunningStack, stripe: StripeFake) -> None:
    appointment = booked()
    intent_id = payments.payment_intent_for(PAT, appointment.id).payment_intent_id
    event = stripe.succeed(intent_id)
    body = json.dumps(event).encode()
    stale = signature(body, timestamp=int(time.time()) - 301)
    for header in (stale, signature(body, secret="whsec_wrong"), signature(body + b" "), "t=1,v1=00"):
        response = post_event(stack, event, header)
        assert (response.status_code, response.json()["message"]) == (400, "STRIPE_SIGNATURE_INVALID")
    unsigned = requests.post(f"{stack.api}/webhooks/stripe", json=event, timeout=30)
    assert unsigned.status_code == 400
    assert recorded_events("webhooks.") == []
    assert PaymentsRepository().select() == []
    assert state(appointment.id) == ("due", "open")


def test_deliveries_twice_and_concurrently_are_recorded_once(stack: RunningStack, stripe: StripeFake) -> None:
    appointment = booked()
    intent_id = payments.payment_intent_for(PAT, appointment.id).payment_intent_id
    event = stripe.succeed(intent_id)
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: post_event(stack, event), range(6)))
    assert sorted(response.status_code for response in answers) == [200] * 6
    assert sorted(response.json()["duplicate"] for response in answers) == [False] + [True] * 5
    again = post_event(stack, event)
    assert (again.status_code, again.json()) == (200, {"duplicate": True})
    eventually(lambda: state(appointment.id), lambda found: found == ("paid", "paid"))
    unknown = post_event(stack, stripe.event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert unknown.status_code == 200
    assert ledger(appointment.id) == [("succeeded", 6000)]


def test_a_cancellation_is_refunded_through_the_stack(stack: RunningStack, stripe: StripeFake) -> None:
    appointment = booked()
    intent_id = payments.payment_intent_for(PAT, appointment.id).payment_intent_id
    assert post_event(stack, stripe.succeed(intent_id)).status_code == 200
    eventually(lambda: state(appointment.id), lambda found: found == ("paid", "paid"))
    appointments.cancel(DR, appointment.id, CancelAppointment(), now=NOW)  # the stack's subscriber refunds
    eventually(lambda: refunds_asked(stripe, appointment.id), lambda asked: len(asked) == 1)
    assert post_event(stack, stripe.refund_event(intent_id)).status_code == 200
    eventually(lambda: state(appointment.id), lambda found: found == ("refunded", "refunded"))
    payment_records: list[PaymentRecord] = [item for _, item in PaymentsRepository().select()]
    assert sorted(item.amount for item in payment_records) == [-6000, 6000]
