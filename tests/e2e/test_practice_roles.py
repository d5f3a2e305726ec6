"""The practice's role matrix, exactly: every practice endpoint against every kind of caller, with real ids.

Callers: no token (401); a therapist or a practice admin signed in without a second factor (403, audited); a
patient, the therapist, another therapist, an outsider and a practice admin (200/201, 403 for a missing role, or
404 for someone else's profile, assignment, thread or message: never revealing that it exists). Each endpoint
gets a fresh world; the callers that must fail go first, the one that succeeds last (calls change state).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bloom.identity import service as identity
from bloom.platform.registry import Role
from infra.auth_emulator import AuthEmulator
from infra.manifest import load_everything
from infra.stack_runner import RunningStack
from tests.support.role_matrix import (
    DENIED,
    STAFF_ONLY,
    PracticeWorld,
    Request,
    assert_matrix_row,
    endpoints_in_matrices,
    practice_world,
)


def _msg(w: PracticeWorld) -> str:
    return f"threads/{w.thread}/messages/{w.message}"


HEART = "%E2%9D%A4%EF%B8%8F"
# endpoint name -> (request, expected status per caller)
CASES: dict[str, tuple[Callable[[PracticeWorld], Request], dict[str, int]]] = {
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


PRACTICE_ROLES = {Role.PRACTICE_USER, Role.THERAPIST, Role.PRACTICE_STAFF, Role.PRACTICE_ADMIN}


def test_every_practice_endpoint_is_in_a_matrix() -> None:
    """This matrix and the areas' own (records' care team, scheduling, claims, billing, support, credentialing
    applications and sources, the waitlist and the calendar token) cover every practice endpoint."""
    names = {spec.name for spec in load_everything().values() if spec.role in PRACTICE_ROLES}
    assert endpoints_in_matrices(Path(__file__).parent) == names


@pytest.mark.parametrize("name", sorted(CASES))
def test_role_matrix(name: str, stack: RunningStack, auth: AuthEmulator) -> None:
    w = practice_world(stack, auth)
    build, expected = CASES[name]
    assert_matrix_row(stack, w.callers, expected, build(w))
    missing = [r for r in identity.auth_audit_of(w.no_mfa_user_id) if r.action == "second_factor_missing"]
    assert len(missing) == 1  # one record a day, however many refused calls
