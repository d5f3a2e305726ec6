"""Scheduling's role matrix and BOLA probes: every scheduling endpoint against every kind of caller, with real ids.

The callers and their world are `tests.support.role_matrix`'s: no token (401); a therapist or practice admin without a
second factor (403); an outsider, another therapist, the patient, the therapist and a practice admin. Someone
else's hold or appointment is 404, never revealing that it exists. Each endpoint gets a fresh world; callers go
in `ORDER`.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from infra.auth_emulator import AuthEmulator
from infra.manifest import load_everything
from infra.stack_runner import RunningStack
from tests.support.role_matrix import (
    DENIED,
    FREE,
    NOT_THEIRS,
    Request,
    SchedulingWorld,
    assert_matrix_row,
    scheduling_world,
)
from tests.support.scheduling import availability, hour_ahead

EVERYONE = {"outsider": 200, "other_dr": 200, "pat": 200, "dr": 200, "admin": 200}
CASES: dict[str, tuple[Callable[[SchedulingWorld], Request], dict[str, int]]] = {
    "put_availability": (
        lambda w: ("PUT", f"therapists/{w.dr_profile}/availability", availability()),
        {**DENIED, "outsider": 403, "pat": 403, "other_dr": 404, "dr": 200, "admin": 200},
    ),
    "get_availability": (
        lambda w: ("GET", f"therapists/{w.dr_profile}/availability", None),
        {**DENIED, "outsider": 403, "pat": 403, "other_dr": 404, "dr": 200, "admin": 200},
    ),
    "list_slots": (
        lambda w: ("GET", f"therapists/{w.dr_profile}/slots?from={hour_ahead(3, 0)}&to={hour_ahead(4, 0)}", None),
        {**DENIED, **EVERYONE},
    ),
    "create_hold": (  # the first holds it; the therapist cannot hold their own time; the rest find it taken
        lambda w: ("POST", "holds", {"therapistId": w.dr_profile, "start": FREE}),
        {**DENIED, "outsider": 201, "other_dr": 409, "pat": 409, "dr": 400, "admin": 409},
    ),
    "release_hold": (
        lambda w: ("DELETE", f"holds/{w.hold}", None),
        {**DENIED, **NOT_THEIRS, "dr": 404, "admin": 404, "pat": 200},
    ),
    "book_appointment": (
        lambda w: ("POST", "appointments", {"holdId": w.hold}),
        {**DENIED, **NOT_THEIRS, "dr": 404, "admin": 404, "pat": 201},
    ),
    "list_appointments": (lambda w: ("GET", "appointments", None), {**DENIED, **EVERYONE}),
    "get_appointment": (
        lambda w: ("GET", f"appointments/{w.appointment}", None),
        {**DENIED, **NOT_THEIRS, "pat": 200, "dr": 200, "admin": 200},
    ),
    "cancel_appointment": (  # after the patient, the therapist and the admin may act but find it cancelled
        lambda w: ("POST", f"appointments/{w.appointment}/cancel", {}),
        {**DENIED, **NOT_THEIRS, "pat": 201, "dr": 409, "admin": 409},
    ),
    "reschedule_appointment": (
        lambda w: ("POST", f"appointments/{w.appointment}/reschedule", {"holdId": w.hold}),
        {**DENIED, **NOT_THEIRS, "dr": 404, "admin": 404, "pat": 201},
    ),
}


def test_every_scheduling_endpoint_is_in_the_matrix() -> None:
    names = {spec.name for spec in load_everything().values() if spec.module == "functions.scheduling"}
    assert names - {"sweep_expired_holds", "erase_scheduling_of_deleted_user"} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_role_matrix(name: str, stack: RunningStack, auth: AuthEmulator) -> None:
    w = scheduling_world(stack, auth)
    build, expected = CASES[name]
    assert_matrix_row(stack, w.practice.callers, expected, build(w))  # in order: a call may change what follows
