"""The support console's user lookup, disable and enable: the spec's shape, every lookup and change in AuthAudit
(ids only, never the email searched for), a disabled user's next request refused (401) and their Firebase account
disabled with its refresh tokens revoked, and enabling them again."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer

from bloom.identity import service as identity
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.accounts import call
from tests.support.practice import active_assignment, patient, practice_admin, therapist, user_id
from tests.support.support_console import ADMIN_USERS, api, open_ticket

MODERATIONS = "/openai/v1/moderations"
CLEAN = {"results": [{"flagged": False, "categories": {}}]}
PASSWORD = "a-Long-password-1"


@pytest.fixture
def admin(auth: AuthEmulator, httpserver: HTTPServer) -> AuthAccount:
    httpserver.expect_request(MODERATIONS, method="POST").respond_with_json(CLEAN)
    return practice_admin(auth)


def test_lookup_by_email_or_id_in_the_specs_shape_and_audited(
    stack: RunningStack, auth: AuthEmulator, admin: AuthAccount
) -> None:
    pat = patient(auth, "pat.lookup@example.com")
    dr = therapist(stack, auth, admin, "dr.lookup@example.com")
    assignment_id = active_assignment(stack, admin, dr, pat)
    ticket = open_ticket(stack, pat)

    found = call(stack, "GET", f"{ADMIN_USERS}?q=pat.lookup@example.com", admin)
    assert set(found) == {"user", "assignments", "openTickets", "lastActiveAt"}
    assert found["user"] == {
        "id": user_id(pat),
        "email": "pat.lookup@example.com",
        "name": "Pat",
        "createdAt": found["user"]["createdAt"],
        "roles": ["patient"],
        "disabled": False,
    }
    assert [a["id"] for a in found["assignments"]] == [assignment_id]
    assert [(t["id"], t["number"], t["status"]) for t in found["openTickets"]] == [(ticket["id"], 1, "open")]
    by_id = call(stack, "GET", f"{ADMIN_USERS}?q={dr.user_id}", admin)
    assert by_id["user"]["roles"] == ["therapist"] and by_id["openTickets"] == []

    missing = api(stack, "GET", f"{ADMIN_USERS}?q=nobody@example.com", admin)
    assert (missing.status_code, missing.json()["message"]) == (404, "LOOKUP USER NOT FOUND")
    assert api(stack, "GET", f"{ADMIN_USERS}?q=pat.lookup@example.com", pat).status_code == 403

    looked_up = [r for r in identity.auth_audit_of(user_id(pat)) if r.action == "user.looked_up"]
    assert len(looked_up) == 1 and looked_up[0].details == {"found": True}
    assert looked_up[0].actor_id == f"user-{admin.uid}"
    everything = [r.model_dump(mode="json") for r in identity.auth_audit_of(dr.user_id)]
    assert "@" not in json.dumps(everything)  # ids only: never the email searched for


def test_a_disabled_users_next_request_is_refused_until_enabled(
    stack: RunningStack, auth: AuthEmulator, admin: AuthAccount
) -> None:
    pat = patient(auth, "pat.disabled@example.com")
    assert api(stack, "GET", "practice/me", pat).status_code == 200

    disabled = call(stack, "POST", f"{ADMIN_USERS}/{user_id(pat)}/disable", admin)
    assert disabled["user"]["disabled"] is True
    refused = api(stack, "GET", "practice/me", pat)
    assert (refused.status_code, refused.json()["message"]) == (401, "USER_DISABLED")
    with pytest.raises(AssertionError, match="USER_DISABLED"):  # Firebase refuses the sign-in too
        auth.sign_in(pat.email, PASSWORD)

    enabled = call(stack, "POST", f"{ADMIN_USERS}/{user_id(pat)}/enable", admin)
    assert enabled["user"]["disabled"] is False
    fresh = AuthAccount(pat.uid, pat.email, PASSWORD, auth.sign_in(pat.email, PASSWORD)["idToken"])
    assert api(stack, "GET", "practice/me", fresh).status_code == 200

    actions = [r.action for r in identity.auth_audit_of(user_id(pat))]
    assert sorted(actions) == ["user.disabled", "user.enabled"]


def test_nobody_disables_themselves_or_an_unknown_user(stack: RunningStack, admin: AuthAccount) -> None:
    me = api(stack, "POST", f"{ADMIN_USERS}/user-{admin.uid}/disable", admin)
    assert (me.status_code, me.json()["message"]) == (409, "CANNOT_DISABLE_SELF")
    unknown = api(stack, "POST", f"{ADMIN_USERS}/user-nobody/disable", admin)
    assert (unknown.status_code, unknown.json()["message"]) == (404, "LOOKUP USER NOT FOUND")
