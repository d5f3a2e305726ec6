"""The right of access: a patient's export job, its bundle of everything they may read, its short-lived link."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests
from pytest_httpserver import HTTPServer

from infra.auth_emulator import AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.practice import P, care_thread, send
from tests.support.records import care_world
from tests.support.scheduling import availability, book, hold, hour_ahead, request
from tests.support.stripe_fake import StripeFake, signature
from tests.support.wait import eventually


def test_an_export_bundles_what_the_patient_may_read_behind_a_five_minute_link(
    stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer
) -> None:
    stripe = StripeFake().install(httpserver)
    w = care_world(stack, auth)
    pat, dr = w.callers["pat"], w.callers["dr"]
    assert pat is not None and dr is not None
    thread = care_thread(stack, pat, w.assignment)
    assert send(stack, pat, thread, "thank you for today").status_code == 201
    put = request(stack, "PUT", f"therapists/{w.dr.profile_id}/availability", dr, availability())
    assert put.ok, put.text
    held = hold(stack, pat, w.dr.profile_id, hour_ahead(2))
    assert held.status_code == 201, held.text
    booked = book(stack, pat, held.json()["id"])
    assert booked.status_code == 201, booked.text
    appointment_id = booked.json()["id"]
    invoice_id = _paid(stack, stripe, pat.headers, appointment_id)

    started = requests.post(f"{stack.api}/v1/{P}/patients/me/export", headers=pat.headers, timeout=30)
    assert started.status_code == 202 and started.json()["status"] == "pending"
    status_url = f"{stack.api}/v1/{P}/patients/me/export/{started.json()['id']}"
    state: dict[str, Any] = eventually(
        lambda: requests.get(status_url, headers=pat.headers, timeout=30).json(),
        lambda body: body["status"] == "ready",
    )
    assert int(parse_qs(urlparse(state["url"]).query)["X-Goog-Expires"][0]) == 300
    bundle = requests.get(state["url"], timeout=30).json()
    assert bundle["patientId"] == w.patient_id
    assert bundle["intake"]["answers"]["presentingConcerns"] == "sleep"
    assert [goal["text"] for goal in bundle["treatmentPlan"]["goals"]] == ["sleep through"]
    assert [(d["code"], d["description"]) for d in bundle["diagnoses"]] == [("F43.1", "PTSD")]
    assert [note["id"] for note in bundle["sessionNotes"]] == [w.shared_note]  # not the draft kept from them
    assert [m["text"] for m in bundle["messages"]] == ["thank you for today"]
    assert [a["id"] for a in bundle["appointments"]] == [appointment_id]
    [invoice] = bundle["invoices"]
    assert (invoice["id"], invoice["appointmentId"], invoice["total"], invoice["status"]) == (
        invoice_id,
        appointment_id,
        6000,
        "paid",
    )
    assert [(p["amount"], p["status"]) for p in invoice["payments"]] == [(6000, "succeeded")]

    assert requests.get(status_url, headers=dr.headers, timeout=30).status_code == 404  # someone else's export
    log = requests.get(f"{stack.api}/v1/{P}/patients/{w.patient_id}/access-log", headers=pat.headers, timeout=30)
    actions = [(e["recordKind"], e["action"], e["actorId"]) for e in log.json()["items"]]
    assert ("export", "export", w.patient_id) in actions
    assert ("session_note", "read", w.patient_id) in actions  # the bundle's reads are the patient's, audited


def _paid(stack: RunningStack, stripe: StripeFake, headers: dict[str, str], appointment_id: str) -> str:
    """Pay as the frontend and Stripe do (the intent, then the signed webhook); the invoice's id once paid."""
    paying = requests.post(
        f"{stack.api}/v1/{P}/appointments/{appointment_id}/payment-intent", headers=headers, timeout=30
    )
    assert paying.status_code == 201, paying.text
    body = json.dumps(stripe.succeed(paying.json()["paymentIntentId"])).encode()
    delivered = requests.post(
        f"{stack.api}/webhooks/stripe",
        data=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": signature(body)},
        timeout=30,
    )
    assert delivered.ok, delivered.text
    paid: dict[str, Any] = eventually(
        lambda: requests.get(f"{stack.api}/v1/{P}/invoices", headers=headers, timeout=30).json(),
        lambda page: [item["status"] for item in page["items"]] == ["paid"],
    )
    return str(paid["items"][0]["id"])
