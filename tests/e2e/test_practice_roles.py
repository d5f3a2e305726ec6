"""The practice's role matrix, exactly: every practice endpoint against every kind of caller, with real ids.

Callers: no token (401); a therapist or a practice admin signed in without a second factor (403, audited); a
patient, the therapist, another therapist, an outsider and a practice admin (200/201, 403 for a missing role, or
404 for someone else's profile, assignment, thread or message: never revealing that it exists). Each endpoint
gets a fresh world; the callers that must fail go first, the one that succeeds last (calls change state).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bloom.identity import service as identity
from bloom.platform.registry import Role
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.manifest import load_everything
from infra.stack_runner import RunningStack
from tests.e2e.test_claims import CASES as CLAIMS_CASES
from tests.e2e.test_records_roles import RECORDS_CASES
from tests.support.accounts import call
from tests.support.practice import (
    P,
    active_assignment,
    care_thread,
    patient,
    practice_admin,
    send,
    statuses_by_caller,
    therapist,
)
from tests.support.users import make_user


@dataclass(frozen=True)
class World:
    callers: dict[str, AuthAccount | None]
    dr_profile: str
    other_profile: str
    requested: str  # an assignment pat asked dr for
    active: str  # pat's active assignment with dr
    thread: str  # its care thread
    message: str  # pat's message in it
    no_mfa_user_id: str


Request = tuple[str, str, dict[str, object] | None]
ORDER = ("none", "no_mfa", "admin_no_mfa", "outsider", "other_dr", "pat", "dr", "admin")


def world(stack: RunningStack, auth: AuthEmulator) -> World:
    admin = practice_admin(auth)
    dr = therapist(stack, auth, admin, "dr.matrix@example.com")
    other = therapist(stack, auth, admin, "dr.other@example.com")
    no_mfa = therapist(stack, auth, admin, "dr.nomfa@example.com", mfa=False)
    admin_no_mfa = auth.verify_email(make_user(auth, "half.admin@example.com", isSuperAdmin=True))
    pat, outsider = patient(auth, "pat.matrix@example.com"), patient(auth, "outsider@example.com")
    requester = patient(auth, "requester@example.com")
    requested = call(stack, "POST", f"{P}/assignments", requester, json={"therapistId": dr.profile_id})["id"]
    active = active_assignment(stack, admin, dr, pat)
    thread = care_thread(stack, pat, active)
    message = send(stack, pat, thread, "hello", "matrix-message").json()["id"]
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
    return World(callers, dr.profile_id, other.profile_id, requested, active, thread, message, no_mfa.user_id)


def _msg(w: World) -> str:
    return f"threads/{w.thread}/messages/{w.message}"


HEART = "%E2%9D%A4%EF%B8%8F"
DENIED = {"none": 401, "no_mfa": 403, "admin_no_mfa": 403}
STAFF_ONLY = {"outsider": 403, "pat": 403}
# endpoint name -> (request, expected status per caller)
CASES: dict[str, tuple[Callable[[World], Request], dict[str, int]]] = {
    "create_therapist": (
        lambda w: ("POST", "therapists", {"email": "new.dr@example.com", "name": "New"}),
        {**DENIED, **STAFF_ONLY, "other_dr": 403, "dr": 403, "admin": 201},
    ),
    "update_therapist": (
        lambda w: ("PATCH", f"therapists/{w.dr_profile}", {"bio": "Trauma-informed"}),
        {**DENIED, **STAFF_ONLY, "other_dr": 404, "dr": 200, "admin": 200},
    ),
    "list_therapists": (
        lambda w: ("GET", "therapists", None),
        {**DENIED, "outsider": 200, "other_dr": 200, "pat": 200, "dr": 200, "admin": 200},
    ),
    "create_assignment": (
        lambda w: ("POST", "assignments", {"therapistId": w.other_profile}),
        {**DENIED, "pat": 201, "outsider": 201},
    ),
    "accept_assignment": (
        lambda w: ("POST", f"assignments/{w.requested}/accept", None),
        {**DENIED, **STAFF_ONLY, "other_dr": 404, "admin": 403, "dr": 201},
    ),
    "decline_assignment": (
        lambda w: ("POST", f"assignments/{w.requested}/decline", None),
        {**DENIED, **STAFF_ONLY, "other_dr": 404, "admin": 403, "dr": 201},
    ),
    "end_assignment": (
        lambda w: ("POST", f"assignments/{w.active}/end", None),
        {**DENIED, "outsider": 404, "other_dr": 404, "pat": 201},
    ),
    "list_connections": (
        lambda w: ("GET", "connections", None),
        {**DENIED, "outsider": 200, "other_dr": 200, "pat": 200, "dr": 200, "admin": 200},
    ),
    "practice_me": (
        lambda w: ("GET", "me", None),
        {**DENIED, "outsider": 200, "other_dr": 200, "pat": 200, "dr": 200, "admin": 200},
    ),
    "open_thread": (
        lambda w: ("POST", "threads", {"kind": "care", "assignmentId": w.active}),
        {**DENIED, "outsider": 404, "other_dr": 404, "admin": 404, "pat": 201, "dr": 201},
    ),
    "list_threads": (
        lambda w: ("GET", "threads", None),
        {**DENIED, "outsider": 200, "other_dr": 200, "pat": 200, "dr": 200, "admin": 200},
    ),
    "list_messages": (
        lambda w: ("GET", f"threads/{w.thread}/messages", None),
        {**DENIED, "outsider": 404, "other_dr": 404, "admin": 404, "pat": 200, "dr": 200},
    ),
    "send_message": (
        lambda w: ("POST", f"threads/{w.thread}/messages", {"text": "hi", "clientMessageId": "matrix-send"}),
        {**DENIED, "outsider": 404, "other_dr": 404, "admin": 404, "pat": 201, "dr": 201},
    ),
    "edit_message": (
        lambda w: ("PATCH", _msg(w), {"text": "hello again"}),
        {**DENIED, "outsider": 404, "other_dr": 404, "admin": 404, "dr": 404, "pat": 200},
    ),
    "delete_message": (
        lambda w: ("DELETE", _msg(w), None),
        {**DENIED, "outsider": 404, "other_dr": 404, "dr": 404, "pat": 200},
    ),
    "add_reaction": (
        lambda w: ("PUT", f"{_msg(w)}/reactions/{HEART}", None),
        {**DENIED, "outsider": 404, "other_dr": 404, "admin": 404, "dr": 200, "pat": 200},
    ),
    "remove_reaction": (
        lambda w: ("DELETE", f"{_msg(w)}/reactions/{HEART}", None),
        {**DENIED, "outsider": 404, "other_dr": 404, "admin": 404, "dr": 200, "pat": 200},
    ),
    "mark_read": (
        lambda w: ("POST", f"threads/{w.thread}/read", {"messageId": w.message}),
        {**DENIED, "outsider": 404, "other_dr": 404, "admin": 404, "dr": 201, "pat": 201},
    ),
    "search_practice": (  # what each finds: tests/e2e/test_search.py
        lambda w: ("GET", "search?q=hello", None),
        {**DENIED, "outsider": 200, "other_dr": 200, "pat": 200, "dr": 200, "admin": 200},
    ),
    "read_audit": (
        lambda w: ("GET", f"audit?threadId={w.thread}", None),
        {**DENIED, **STAFF_ONLY, "other_dr": 403, "dr": 403, "admin": 200},
    ),
}


def assert_matrix_row(
    stack: RunningStack, callers: dict[str, AuthAccount | None], expected: dict[str, int], request: Request
) -> None:
    """Each caller `expected` names makes the request, in `ORDER`, and gets exactly its expected status."""
    seen = statuses_by_caller(stack, callers, ORDER, expected, request)
    assert seen == {who: expected[who] for who in ORDER if who in expected}


PRACTICE_ROLES = {Role.PRACTICE_USER, Role.THERAPIST, Role.PRACTICE_STAFF, Role.PRACTICE_ADMIN}


def test_every_practice_endpoint_is_in_the_matrix() -> None:
    from tests.e2e.test_billing_roles import CASES as BILLING_CASES  # these modules build on this one's world
    from tests.e2e.test_credentialing_applications_roles import CASES as CREDENTIALING_CASES
    from tests.e2e.test_credentialing_sources_roles import CASES as SOURCES_CASES
    from tests.e2e.test_scheduling_roles import CASES as SCHEDULING_CASES
    from tests.e2e.test_support_roles import CASES as SUPPORT_CASES
    from tests.e2e.test_waitlist_roles import CASES as WAITLIST_CASES

    names = {spec.name for spec in load_everything().values() if spec.role in PRACTICE_ROLES}
    # the records' care team, scheduling, claims, billing, support, credentialing applications and sources, the
    # waitlist and the calendar token have their own matrices
    matrices = set(CASES) | set(RECORDS_CASES) | set(SCHEDULING_CASES) | set(CLAIMS_CASES)
    matrices |= set(BILLING_CASES) | set(SUPPORT_CASES) | set(CREDENTIALING_CASES)
    assert names == matrices | set(SOURCES_CASES) | set(WAITLIST_CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_role_matrix(name: str, stack: RunningStack, auth: AuthEmulator) -> None:
    w = world(stack, auth)
    build, expected = CASES[name]
    assert_matrix_row(stack, w.callers, expected, build(w))
    missing = [r for r in identity.auth_audit_of(w.no_mfa_user_id) if r.action == "second_factor_missing"]
    assert len(missing) == 1  # one record a day, however many refused calls
