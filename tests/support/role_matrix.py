"""What the practice's role matrices share: their callers, the worlds they call in, and how a row is checked.

A matrix (`tests/e2e/test_*_roles.py`, and claims' in `test_claims.py`) is a `CASES`-like dict: endpoint name →
(a request built from the world, the status each caller must get). Callers: no token (401); a therapist or a
practice admin signed in without a second factor (403); an outsider, another therapist, the patient, the therapist
and a practice admin. `practice_world` gives them real ids (profiles, assignments, a care thread and a message);
`scheduling_world` adds a hold and a booked appointment.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.accounts import call
from tests.support.practice import (
    P,
    Therapist,
    active_assignment,
    care_thread,
    patient,
    practice_admin,
    send,
    statuses_by_caller,
    therapist,
)
from tests.support.scheduling import availability, book, hold, hour_ahead, request
from tests.support.users import make_user

Request = tuple[str, str, dict[str, object] | None]  # method, path under `practice/`, JSON body
ORDER = ("none", "no_mfa", "admin_no_mfa", "outsider", "other_dr", "pat", "dr", "admin")
DENIED = {"none": 401, "no_mfa": 403, "admin_no_mfa": 403}
STAFF_ONLY = {"outsider": 403, "pat": 403}
NOT_THEIRS = {"outsider": 404, "other_dr": 404}


@dataclass(frozen=True)
class PracticeWorld:
    callers: dict[str, AuthAccount | None]
    dr_profile: str
    other_profile: str
    requested: str  # an assignment pat asked dr for
    active: str  # pat's active assignment with dr
    thread: str  # its care thread
    message: str  # pat's message in it
    no_mfa_user_id: str


@dataclass(frozen=True)
class Cast:
    """A matrix's people: a practice admin, the therapist (`dr`), another therapist, a therapist and a super admin
    signed in without a second factor, the patient and an outsider (nobody's patient)."""

    admin: AuthAccount
    dr: Therapist
    other: Therapist
    no_mfa: Therapist
    admin_no_mfa: AuthAccount
    pat: AuthAccount
    outsider: AuthAccount

    def callers(self, **more: AuthAccount | None) -> dict[str, AuthAccount | None]:
        """The callers by their name in `ORDER` (no token: `none`), and `more` (a matrix's own)."""
        return {
            "none": None,
            "no_mfa": self.no_mfa.account,
            "admin_no_mfa": self.admin_no_mfa,
            "outsider": self.outsider,
            "other_dr": self.other.account,
            "pat": self.pat,
            "dr": self.dr.account,
            "admin": self.admin,
            **more,
        }


def cast(stack: RunningStack, auth: AuthEmulator, area: str) -> Cast:
    """The people of a matrix; the therapist's and the patient's emails name the `area`."""
    admin = practice_admin(auth)
    return Cast(
        admin=admin,
        dr=therapist(stack, auth, admin, f"dr.{area}@example.com"),
        other=therapist(stack, auth, admin, "dr.other@example.com"),
        no_mfa=therapist(stack, auth, admin, "dr.nomfa@example.com", mfa=False),
        admin_no_mfa=auth.verify_email(make_user(auth, "half.admin@example.com", isSuperAdmin=True)),
        pat=patient(auth, f"pat.{area}@example.com"),
        outsider=patient(auth, "outsider@example.com"),
    )


def practice_world(stack: RunningStack, auth: AuthEmulator) -> PracticeWorld:
    people = cast(stack, auth, "matrix")
    dr, pat = people.dr, people.pat
    requester = patient(auth, "requester@example.com")
    requested = call(stack, "POST", f"{P}/assignments", requester, json={"therapistId": dr.profile_id})["id"]
    active = active_assignment(stack, people.admin, dr, pat)
    thread = care_thread(stack, pat, active)
    message = send(stack, pat, thread, "hello", "matrix-message").json()["id"]
    return PracticeWorld(
        people.callers(),
        dr.profile_id,
        people.other.profile_id,
        requested,
        active,
        thread,
        message,
        people.no_mfa.user_id,
    )


def assert_matrix_row(
    stack: RunningStack, callers: dict[str, AuthAccount | None], expected: dict[str, int], request: Request
) -> None:
    """Each caller `expected` names makes the request, in `ORDER`, and gets exactly its expected status."""
    seen = statuses_by_caller(stack, callers, ORDER, expected, request)
    assert seen == {who: expected[who] for who in ORDER if who in expected}


@dataclass(frozen=True)
class SchedulingWorld:
    practice: PracticeWorld  # the callers of the practice's own matrix
    hold: str  # pat's live hold with dr
    appointment: str  # pat's booked appointment with dr

    @property
    def dr_profile(self) -> str:
        return self.practice.dr_profile


FREE, HELD, BOOKED = hour_ahead(3, 14), hour_ahead(3, 10), hour_ahead(3, 12)  # times of dr's availability


def scheduling_world(stack: RunningStack, auth: AuthEmulator) -> SchedulingWorld:
    """The practice world with both therapists available, pat's appointment at `BOOKED` and hold at `HELD`."""
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
    return SchedulingWorld(practice, held, appointment)


def endpoints_in_matrices(directory: Path) -> set[str]:
    """The endpoint names every matrix in `directory` covers: the keys of its test modules' top-level `…CASES`
    dicts, read from their source (test modules never import each other)."""
    names: set[str] = set()
    for path in sorted(directory.glob("test_*.py")):
        for node in ast.parse(path.read_text()).body:
            target: ast.expr
            value: ast.expr | None
            if isinstance(node, ast.AnnAssign):
                target, value = node.target, node.value
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id.endswith("CASES") and isinstance(value, ast.Dict):
                keys = [key.value for key in value.keys if isinstance(key, ast.Constant)]
                names.update(key for key in keys if isinstance(key, str))
    return names
