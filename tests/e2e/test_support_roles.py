"""The support console's role matrix, exactly: every support endpoint against every kind of caller, with real ids
(someone else's ticket is 404 whoever asks, the admin endpoints are 403 for everyone but a practice admin).
Each endpoint gets a fresh world; the callers that must fail go first, the one that succeeds last."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
import requests
from pytest_httpserver import HTTPServer

from bloom.identity import service as identity
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.files import PDF_BYTES, settled, uploaded
from tests.support.practice import patient, practice_admin, therapist, user_id
from tests.support.support_console import open_ticket
from tests.support.users import make_user

MODERATIONS = "/openai/v1/moderations"
CLEAN = {"results": [{"flagged": False, "categories": {}}]}
ORDER = ("none", "no_mfa", "admin_no_mfa", "outsider", "other_dr", "pat", "dr", "admin")


@dataclass(frozen=True)
class World:
    callers: dict[str, AuthAccount | None]
    ticket: str  # pat's ticket
    upload: str  # its attachment
    outsider_id: str
    no_mfa_user_id: str


def world(stack: RunningStack, auth: AuthEmulator) -> World:
    admin = practice_admin(auth)
    dr = therapist(stack, auth, admin, "dr.support@example.com")
    other = therapist(stack, auth, admin, "dr.other@example.com")
    no_mfa = therapist(stack, auth, admin, "dr.nomfa@example.com", mfa=False)
    admin_no_mfa = auth.verify_email(make_user(auth, "half.admin@example.com", isSuperAdmin=True))
    pat, outsider = patient(auth, "pat.support@example.com"), patient(auth, "outsider@example.com")
    upload = uploaded(stack, pat, PDF_BYTES, "application/pdf")
    assert settled(stack, pat, upload) == "available"
    ticket = open_ticket(stack, pat, attachmentIds=[upload])["id"]
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
    return World(callers, ticket, upload, user_id(outsider), no_mfa.user_id)


Request = tuple[str, str, dict[str, object] | None]
DENIED = {"none": 401, "no_mfa": 403, "admin_no_mfa": 403}
ADMIN_ONLY = {**DENIED, "outsider": 403, "other_dr": 403, "pat": 403, "dr": 403}
EVERYONE = {"outsider": 200, "other_dr": 200, "pat": 200, "dr": 200, "admin": 200}
NOT_THEIRS = {"outsider": 404, "other_dr": 404, "dr": 404}
NEW_TICKET: dict[str, object] = {"subject": "Help", "body": "I need help with my account", "category": "account"}
CASES: dict[str, tuple[Callable[[World], Request], dict[str, int]]] = {
    "create_ticket": (lambda w: ("POST", "support/tickets", NEW_TICKET), {**DENIED, **dict.fromkeys(EVERYONE, 201)}),
    "list_tickets": (lambda w: ("GET", "support/tickets", None), {**DENIED, **EVERYONE}),
    "get_ticket": (
        lambda w: ("GET", f"support/tickets/{w.ticket}", None),
        {**DENIED, **NOT_THEIRS, "pat": 200, "admin": 200},
    ),
    "get_ticket_attachment_url": (
        lambda w: ("GET", f"support/tickets/{w.ticket}/attachments/{w.upload}/url", None),
        {**DENIED, **NOT_THEIRS, "pat": 200, "admin": 200},
    ),
    "add_ticket_comment": (
        lambda w: ("POST", f"support/tickets/{w.ticket}/comments", {"body": "Any news?"}),
        {**DENIED, **NOT_THEIRS, "pat": 201, "admin": 201},
    ),
    "update_ticket": (
        lambda w: ("PATCH", f"support/tickets/{w.ticket}", {"status": "pending"}),
        {**ADMIN_ONLY, "admin": 200},
    ),
    "look_up_user": (lambda w: ("GET", f"admin/users?q={w.outsider_id}", None), {**ADMIN_ONLY, "admin": 200}),
    "disable_user": (
        lambda w: ("POST", f"admin/users/{w.outsider_id}/disable", None),
        {**ADMIN_ONLY, "admin": 201},
    ),
    "enable_user": (lambda w: ("POST", f"admin/users/{w.outsider_id}/enable", None), {**ADMIN_ONLY, "admin": 201}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_role_matrix(name: str, stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer) -> None:
    httpserver.expect_request(MODERATIONS, method="POST").respond_with_json(CLEAN)
    w = world(stack, auth)
    build, expected = CASES[name]
    method, path, body = build(w)
    seen = {}
    for who in ORDER:
        if who not in expected:
            continue
        account = w.callers[who]
        headers = account.headers if account is not None else {}
        url = f"{stack.api}/v1/practice/{path}"
        seen[who] = requests.request(method, url, json=body, headers=headers, timeout=30).status_code
    assert seen == {who: expected[who] for who in ORDER if who in expected}
    missing = [r for r in identity.auth_audit_of(w.no_mfa_user_id) if r.action == "second_factor_missing"]
    assert len(missing) == 1  # one record a day, however many refused calls
