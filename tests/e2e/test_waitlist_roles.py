"""The waitlist's and the calendar token's role matrix: each endpoint against every kind of caller, with real ids.

The callers and their world are `tests.support.role_matrix`'s: no token (401); a therapist or practice admin without a
second factor (403); another patient (the outsider), another therapist, the patient, the therapist and a practice
admin. Anyone may wait for a therapist but the therapist themselves (404, as for an unknown therapist); someone
else's entry is 404, never revealing that it exists. Each endpoint gets a fresh world; callers go in `ORDER`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from infra.auth_emulator import AuthEmulator
from infra.manifest import load_everything
from infra.stack_runner import RunningStack
from tests.support.role_matrix import DENIED, NOT_THEIRS, PracticeWorld, Request, assert_matrix_row, practice_world
from tests.support.scheduling import hour_ahead, request


@dataclass(frozen=True)
class World:
    practice: PracticeWorld  # the callers of the practice's own matrix
    entry: str  # pat's waitlist entry for a time of dr


def _wait_for(therapist_id: str) -> dict[str, object]:
    return {"therapistId": therapist_id, "from": hour_ahead(1), "to": hour_ahead(2)}


def world(stack: RunningStack, auth: AuthEmulator) -> World:
    practice = practice_world(stack, auth)
    pat = practice.callers["pat"]
    assert pat is not None
    joined = request(stack, "POST", "waitlist", pat, _wait_for(practice.dr_profile))
    assert joined.status_code == 201, joined.text
    return World(practice, joined.json()["id"])


EVERYONE = {"outsider": 200, "other_dr": 200, "pat": 200, "dr": 200, "admin": 200}
CASES: dict[str, tuple[Callable[[World], Request], dict[str, int]]] = {
    "join_waitlist": (
        lambda w: ("POST", "waitlist", _wait_for(w.practice.dr_profile)),
        {**DENIED, "outsider": 201, "other_dr": 201, "pat": 201, "dr": 404, "admin": 201},
    ),
    "list_waitlist": (lambda w: ("GET", "waitlist", None), {**DENIED, **EVERYONE}),
    "leave_waitlist": (
        lambda w: ("DELETE", f"waitlist/{w.entry}", None),
        {**DENIED, **NOT_THEIRS, "dr": 404, "admin": 404, "pat": 200},
    ),
    "rotate_calendar_token": (
        lambda w: ("POST", "calendar/token", {}),
        {**DENIED, "outsider": 201, "other_dr": 201, "pat": 201, "dr": 201, "admin": 201},
    ),
}


def test_every_waitlist_and_calendar_endpoint_is_in_the_matrix() -> None:
    http = {
        spec.name
        for spec in load_everything().values()
        if spec.module in ("functions.waitlist", "functions.calendar") and spec.kind == "http"
    }
    assert http - {"calendar_feed"} == set(CASES)  # the feed is public, opened by the secret in its address


@pytest.mark.parametrize("name", sorted(CASES))
def test_role_matrix(name: str, stack: RunningStack, auth: AuthEmulator) -> None:
    w = world(stack, auth)
    build, expected = CASES[name]
    assert_matrix_row(stack, w.practice.callers, expected, build(w))
