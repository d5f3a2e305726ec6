"""Billing's role matrix and BOLA probes: every billing endpoint against every kind of caller, with real ids, in
scheduling's world (`tests.support.role_matrix.scheduling_world`) on the practice matrix's callers: no token 401;
a therapist or practice admin without a second factor 403; an outsider, another therapist, the patient, the
therapist and a practice admin. Someone else's appointment or invoice is 404, never revealing that it exists."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytest_httpserver import HTTPServer

from bloom.billing import invoices
from infra.auth_emulator import AuthEmulator
from infra.manifest import load_everything
from infra.stack_runner import RunningStack
from tests.support.role_matrix import DENIED, NOT_THEIRS, Request, SchedulingWorld, assert_matrix_row, scheduling_world
from tests.support.stripe_fake import StripeFake

# The invoice of `World.appointment` has the appointment's id.
CASES: dict[str, tuple[Callable[[SchedulingWorld], Request], dict[str, int]]] = {
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


@pytest.mark.parametrize("name", sorted(CASES))
def test_role_matrix(name: str, stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer) -> None:
    StripeFake().install(httpserver)
    w = scheduling_world(stack, auth)
    invoices.issue_invoice(w.appointment)  # as the booking's subscriber does, without waiting for it
    build, expected = CASES[name]
    assert_matrix_row(stack, w.practice.callers, expected, build(w))
