"""Billing's role matrix and BOLA probes: every billing endpoint against every kind of caller, with real ids.

Callers as in `test_practice_roles`: no token (401); a therapist or practice admin without a second factor (403);
an outsider, another therapist, the patient, the therapist and a practice admin. Someone else's appointment or
invoice is 404, never revealing that it exists. Each endpoint gets a fresh world; callers go in `ORDER`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
import requests
from pytest_httpserver import HTTPServer

from bloom.billing import invoices
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.manifest import load_everything
from infra.stack_runner import RunningStack
from tests.support.practice import P, patient, practice_admin, therapist
from tests.support.scheduling import availability, book, hold, hour_ahead, request
from tests.support.stripe_fake import StripeFake
from tests.support.users import make_user


@dataclass(frozen=True)
class World:
    callers: dict[str, AuthAccount | None]
    appointment: str  # pat's booked appointment with dr, and the id of its invoice


Request = tuple[str, str, dict[str, object] | None]
ORDER = ("none", "no_mfa", "admin_no_mfa", "outsider", "other_dr", "dr", "admin", "pat")
DENIED = {"none": 401, "no_mfa": 403, "admin_no_mfa": 403}
NOT_THEIRS = {"outsider": 404, "other_dr": 404}


def world(stack: RunningStack, auth: AuthEmulator) -> World:
    admin = practice_admin(auth)
    dr = therapist(stack, auth, admin, "dr.billing@example.com")
    other = therapist(stack, auth, admin, "dr.other@example.com")
    no_mfa = therapist(stack, auth, admin, "dr.nomfa@example.com", mfa=False)
    admin_no_mfa = auth.verify_email(make_user(auth, "half.admin@example.com", isSuperAdmin=True))
    pat, outsider = patient(auth, "pat.billing@example.com"), patient(auth, "outsider@example.com")
    put = request(stack, "PUT", f"therapists/{dr.profile_id}/availability", dr.account, availability())
    assert put.status_code == 200, put.text
    appointment = book(stack, pat, hold(stack, pat, dr.profile_id, hour_ahead(3, 12)).json()["id"]).json()["id"]
    invoices.issue_invoice(appointment)  # as the booking's subscriber does, without waiting for it
    callers: dict[str, AuthAccount | None] = {
        "none": None,
        "no_mfa": no_mfa.account,
        "admin_no_mfa": admin_no_mfa,
        "outsider": outsider,
        "other_dr": other.account,
        "pat": pat,
        "dr": dr.account,
        "admin": admin,
    }
    return World(callers, appointment)


CASES: dict[str, tuple[Callable[[World], Request], dict[str, int]]] = {
    "create_payment_intent": (
        lambda w: ("POST", f"appointments/{w.appointment}/payment-intent", {}),
        {**DENIED, **NOT_THEIRS, "dr": 404, "admin": 404, "pat": 201},
    ),
    "list_invoices": (
        lambda w: ("GET", "invoices", None),
        {**DENIED, "outsider": 200, "other_dr": 200, "dr": 200, "admin": 200, "pat": 200},
    ),
    "get_invoice": (
        lambda w: ("GET", f"invoices/{w.appointment}", None),
        {**DENIED, **NOT_THEIRS, "dr": 200, "admin": 200, "pat": 200},
    ),
}


def test_every_billing_endpoint_is_in_the_matrix() -> None:
    http = {
        spec.name for spec in load_everything().values() if spec.module == "functions.billing" and spec.kind == "http"
    }
    assert http - {"stripe_webhook"} == set(CASES)


def status(stack: RunningStack, account: AuthAccount | None, request: Request) -> int:
    method, path, body = request
    headers = account.headers if account is not None else {}
    return requests.request(method, f"{stack.api}/v1/{P}/{path}", json=body, headers=headers, timeout=30).status_code


@pytest.mark.parametrize("name", sorted(CASES))
def test_role_matrix(name: str, stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer) -> None:
    StripeFake().install(httpserver)
    w = world(stack, auth)
    build, expected = CASES[name]
    order = [who for who in ORDER if who in expected]  # in this order: a call may change what the next one finds
    assert [status(stack, w.callers[who], build(w)) for who in order] == [expected[who] for who in order]
