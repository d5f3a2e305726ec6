"""Scheduling's role matrix and BOLA probes: every scheduling endpoint against every kind of caller, with real ids.

Callers as in `test_practice_roles`: no token (401); a therapist or practice admin without a second factor (403);
an outsider, another therapist, the patient, the therapist and a practice admin. Someone else's hold or
appointment is 404, never revealing that it exists. Each endpoint gets a fresh world; callers go in `ORDER`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
import requests

from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.manifest import load_everything
from infra.stack_runner import RunningStack
from tests.support.practice import P, patient, practice_admin, therapist
from tests.support.scheduling import availability, book, hold, hour_ahead, request
from tests.support.users import make_user


@dataclass(frozen=True)
class World:
    callers: dict[str, AuthAccount | None]
    dr_profile: str
    hold: str  # pat's live hold with dr
    appointment: str  # pat's booked appointment with dr


Request = tuple[str, str, dict[str, object] | None]
ORDER = ("none", "no_mfa", "admin_no_mfa", "outsider", "other_dr", "pat", "dr", "admin")
DENIED = {"none": 401, "no_mfa": 403, "admin_no_mfa": 403}
FREE, HELD, BOOKED = hour_ahead(3, 14), hour_ahead(3, 10), hour_ahead(3, 12)


def world(stack: RunningStack, auth: AuthEmulator) -> World:
    admin = practice_admin(auth)
    dr = therapist(stack, auth, admin, "dr.slots@example.com")
    other = therapist(stack, auth, admin, "dr.other@example.com")
    no_mfa = therapist(stack, auth, admin, "dr.nomfa@example.com", mfa=False)
    admin_no_mfa = auth.verify_email(make_user(auth, "half.admin@example.com", isSuperAdmin=True))
    pat, outsider = patient(auth, "pat.slots@example.com"), patient(auth, "outsider@example.com")
    for who in (dr, other):
        put = request(stack, "PUT", f"therapists/{who.profile_id}/availability", who.account, availability())
        assert put.status_code == 200, put.text
    appointment = book(stack, pat, hold(stack, pat, dr.profile_id, BOOKED).json()["id"]).json()["id"]
    held = hold(stack, pat, dr.profile_id, HELD).json()["id"]
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
    return World(callers, dr.profile_id, held, appointment)


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
    assert [status(stack, w.callers[who], build(w)) for who in order] == [expected[who] for who in order]
