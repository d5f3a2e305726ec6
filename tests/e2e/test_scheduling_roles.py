"""Scheduling's role matrix and BOLA probes: every scheduling endpoint against every kind of caller, with real ids.

The callers and their world are `test_practice_roles`'s: no token (401); a therapist or practice admin without a
second factor (403); an outsider, another therapist, the patient, the therapist and a practice admin. Someone
else's hold or appointment is 404, never revealing that it exists. Each endpoint gets a fresh world; callers go
in `ORDER`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
import requests

from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.manifest import load_everything
from infra.stack_runner import RunningStack
from tests.e2e.test_practice_roles import DENIED, ORDER
from tests.e2e.test_practice_roles import World as PracticeWorld
from tests.e2e.test_practice_roles import world as practice_world
from tests.support.practice import P
from tests.support.scheduling import availability, book, hold, hour_ahead, request


@dataclass(frozen=True)
class World:
    practice: PracticeWorld  # the callers of the practice's own matrix
    hold: str  # pat's live hold with dr
    appointment: str  # pat's booked appointment with dr

    @property
    def dr_profile(self) -> str:
        return self.practice.dr_profile


Request = tuple[str, str, dict[str, object] | None]
FREE, HELD, BOOKED = hour_ahead(3, 14), hour_ahead(3, 10), hour_ahead(3, 12)


def world(stack: RunningStack, auth: AuthEmulator) -> World:
    practice = practice_world(stack, auth)
    callers = practice.callers
    for name, profile in (("dr", practice.dr_profile), ("other_dr", practice.other_profile)):
        account = callers[name]
        assert account is not None
        put = request(stack, "PUT", f"therapists/{profile}/availability", account, availability())
        assert put.status_code == 200, put.text
    pat = callers["pat"]
    assert pat is not None
    appointment = book(stack, pat, hold(stack, pat, practice.dr_profile, BOOKED).json()["id"]).json()["id"]
    held = hold(stack, pat, practice.dr_profile, HELD).json()["id"]
    return World(practice, held, appointment)


EVERYONE = {"outsider": 200, "other_dr": 200, "pat": 200, "dr": 200, "admin": 200}
NOT_THEIRS = {"outsider": 404, "other_dr": 404}
CASES: dict[str, tuple[Callable[[World], Request], dict[str, int]]] = {
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


def status(stack: RunningStack, account: AuthAccount | None, request: Request) -> int:
    method, path, body = request
    headers = account.headers if account is not None else {}
    return requests.request(method, f"{stack.api}/v1/{P}/{path}", json=body, headers=headers, timeout=30).status_code


@pytest.mark.parametrize("name", sorted(CASES))
def test_role_matrix(name: str, stack: RunningStack, auth: AuthEmulator) -> None:
    w = world(stack, auth)
    build, expected = CASES[name]
    order = [who for who in ORDER if who in expected]  # in this order: a call may change what the next one finds
    assert [status(stack, w.practice.callers[who], build(w)) for who in order] == [expected[who] for who in order]
