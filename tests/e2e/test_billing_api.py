"""Billing's routes over HTTP as the frontend calls them (Auth emulator tokens, the gateway, the fake Stripe): the
patient gets the appointment's intent, anyone else a 404; invoices read by their patient only (someone else's id
is 404, a filter naming someone else finds nothing)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import requests
from pytest_httpserver import HTTPServer

from bloom.scheduling import appointments, availability, holds
from bloom.scheduling.schemas import AvailabilityBody, CreateAppointment, CreateHold
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.practice import P
from tests.support.scheduling import availability as availability_body
from tests.support.scheduling import patient_caller, therapist_caller
from tests.support.stripe_fake import StripeFake
from tests.support.users import make_user

START = datetime(2030, 1, 7, 10, tzinfo=UTC)


def api(stack: RunningStack, method: str, path: str, account: AuthAccount, **params: Any) -> requests.Response:
    return requests.request(method, f"{stack.api}/v1/{P}/{path}", params=params, headers=account.headers, timeout=60)


def test_paying_and_reading_invoices_over_http(stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer) -> None:
    stripe = StripeFake().install(httpserver)
    patient, stranger = make_user(auth, "patient@example.com"), make_user(auth, "stranger@example.com")
    caller = patient_caller(f"user-{patient.uid}")
    rules = AvailabilityBody.model_validate(availability_body())
    availability.put_availability(therapist_caller("dr-user", "dr"), "dr", rules, now=START.replace(hour=8))
    hold = holds.create_hold(caller, CreateHold(therapist_id="dr", start=START), now=START.replace(hour=8))
    appointment = appointments.book(caller, CreateAppointment(hold_id=hold.id), now=START.replace(hour=8))

    paying = api(stack, "POST", f"appointments/{appointment.id}/payment-intent", patient)
    assert paying.status_code == 201, paying.text
    intent = paying.json()
    assert set(intent) == {"paymentIntentId", "clientSecret", "amount", "currency"}
    assert (intent["amount"], intent["currency"]) == (6000, "gbp")
    assert stripe.intents[intent["paymentIntentId"]]["client_secret"] == intent["clientSecret"]
    again = api(stack, "POST", f"appointments/{appointment.id}/payment-intent", patient)
    assert again.json() == intent
    refused = api(stack, "POST", f"appointments/{appointment.id}/payment-intent", stranger)
    assert (refused.status_code, refused.json()["message"]) == (404, "APPOINTMENT NOT FOUND")

    listed = api(stack, "GET", "invoices", patient)
    assert listed.status_code == 200
    [invoice] = listed.json()["items"]
    assert set(invoice) == {
        "id",
        "number",
        "patientId",
        "therapistId",
        "appointmentId",
        "lines",
        "total",
        "currency",
        "status",
        "issuedAt",
        "paidAt",
    }
    assert (invoice["status"], invoice["appointmentId"], invoice["total"]) == ("open", appointment.id, 6000)
    assert invoice["lines"] == [{"description": "Therapy session", "amount": 6000}]
    assert api(stack, "GET", "invoices", stranger).json() == {"items": [], "nextCursor": None}
    assert api(stack, "GET", "invoices", stranger, patientId=f"user-{patient.uid}").json()["items"] == []
    detail = api(stack, "GET", f"invoices/{invoice['id']}", patient)
    assert (detail.status_code, detail.json()["payments"]) == (200, [])
    hidden = api(stack, "GET", f"invoices/{invoice['id']}", stranger)
    assert (hidden.status_code, hidden.json()["message"]) == (404, "INVOICE NOT FOUND")
