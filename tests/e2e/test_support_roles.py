"""The support console's role matrix, exactly: every support endpoint against every kind of caller, with real ids
(someone else's ticket is 404 whoever asks, the admin endpoints are 403 for everyone but a practice admin).
Each endpoint gets a fresh world; the callers that must fail go first, the one that succeeds last."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from pytest_httpserver import HTTPServer

from bloom.identity import service as identity
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.files import PDF_BYTES, settled, uploaded
from tests.support.practice import user_id
from tests.support.role_matrix import DENIED, Request, assert_matrix_row, cast
from tests.support.support_console import open_ticket

MODERATIONS = "/openai/v1/moderations"
CLEAN = {"results": [{"flagged": False, "categories": {}}]}


@dataclass(frozen=True)
class World:
    callers: dict[str, AuthAccount | None]
    ticket: str  # pat's ticket
    upload: str  # its attachment
    outsider_id: str
    no_mfa_user_id: str


def world(stack: RunningStack, auth: AuthEmulator) -> World:
    people = cast(stack, auth, "support")
    upload = uploaded(stack, people.pat, PDF_BYTES, "application/pdf")
    assert settled(stack, people.pat, upload) == "available"
    ticket = open_ticket(stack, people.pat, attachmentIds=[upload])["id"]
    return World(people.callers(), ticket, upload, user_id(people.outsider), people.no_mfa.user_id)


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
    assert_matrix_row(stack, w.callers, expected, build(w))
    missing = [r for r in identity.auth_audit_of(w.no_mfa_user_id) if r.action == "second_factor_missing"]
    assert len(missing) == 1  # one record a day, however many refused calls
