"""401/403 for EVERY registered HTTP function that needs a role, whoever wrote it: the cases come from the registry.

For each function: no token → 401 with the exact message; a signed-in user without the role → 403 `Forbidden`;
for super-admin functions also a super admin without a second-factor sign-in and a partner admin → 403; the
right caller → neither 401 nor 403 (nor a 500). Path parameters get a dummy id and bodies are `{}`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import requests

from bloom.platform.registry import FunctionSpec, Role
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.manifest import load_everything
from infra.stack_runner import RunningStack
from tests.support.accounts import call, partner, super_admin
from tests.support.practice import therapist
from tests.support.users import make_user

MISSING_TOKEN = "Unauthorized: missing required Authorization token"
GUARDED = [
    spec
    for spec in load_everything().values()
    if spec.kind == "http" and spec.role not in (Role.PUBLIC, Role.WEBHOOK, None)
]


@dataclass(frozen=True)
class Callers:
    user: AuthAccount
    partner_admin: AuthAccount | None = None
    super_admin_without_mfa: AuthAccount | None = None
    super_admin: AuthAccount | None = None
    therapist: AuthAccount | None = None


def callers_for(role: Role, stack: RunningStack, auth: AuthEmulator) -> Callers:
    """Only the accounts this role's cases need (a super admin takes an MFA sign-in, so it is made on demand)."""
    user = make_user(auth, "plain.user@example.com")
    if role in (Role.USER, Role.PRACTICE_USER):
        return Callers(user=user)
    admin = super_admin(auth)
    if role in (Role.THERAPIST, Role.PRACTICE_STAFF, Role.PRACTICE_ADMIN):  # the practice's own matrix is stricter
        dr = therapist(stack, auth, admin, "role.therapist@example.com").account
        return Callers(user=user, super_admin=admin, therapist=dr)
    partner_id = partner(stack, admin, "Role Matrix", automatic_access=False)["id"]
    padmin = make_user(auth, "partner.admin@example.com")
    call(stack, "POST", "partner-admin", admin, json={"userId": f"user-{padmin.uid}", "partnerId": partner_id})
    if role is Role.PARTNER_ADMIN:
        return Callers(user=user, partner_admin=padmin)
    no_mfa = auth.verify_email(make_user(auth, "half.admin@example.com", isSuperAdmin=True))
    return Callers(user=user, partner_admin=padmin, super_admin_without_mfa=no_mfa, super_admin=admin)


def request(stack: RunningStack, spec: FunctionSpec, account: AuthAccount | None) -> requests.Response:
    path = spec.path or ""
    for name in spec.path_params:
        path = path.replace(f"{{{name}}}", "dummy-id")
    url = stack.api.removesuffix("/api") + path
    headers = account.headers if account is not None else {}
    body: dict[str, object] | None = {} if spec.method in ("POST", "PUT", "PATCH") else None
    return requests.request(spec.method or "GET", url, json=body, headers=headers, timeout=30)


def assert_forbidden(response: requests.Response, who: str) -> None:
    assert (response.status_code, response.json()["message"]) == (403, "Forbidden"), who


def test_every_guarded_function_is_covered() -> None:
    names = {spec.name for spec in GUARDED}
    assert {"get_user_profile", "search_users", "delete_user_by_id"} <= names
    assert {"create_payment_intent", "list_invoices", "get_invoice"} <= names


@pytest.mark.parametrize("spec", GUARDED, ids=[spec.name for spec in GUARDED])
def test_roles(spec: FunctionSpec, stack: RunningStack, auth: AuthEmulator) -> None:
    assert spec.role is not None
    anonymous = request(stack, spec, None)
    assert (anonymous.status_code, anonymous.json()["message"]) == (401, MISSING_TOKEN)

    callers = callers_for(spec.role, stack, auth)
    if spec.role not in (Role.USER, Role.PRACTICE_USER):
        assert_forbidden(request(stack, spec, callers.user), "a user without the role")
    if spec.role is Role.SUPER_ADMIN:
        assert_forbidden(request(stack, spec, callers.super_admin_without_mfa), "a super admin without MFA")
        assert_forbidden(request(stack, spec, callers.partner_admin), "a partner admin")

    right = {
        Role.USER: callers.user,
        Role.PRACTICE_USER: callers.user,
        Role.THERAPIST: callers.therapist,
        Role.PRACTICE_STAFF: callers.therapist,
        Role.PRACTICE_ADMIN: callers.super_admin,
        Role.PARTNER_ADMIN: callers.partner_admin,
        Role.SUPER_ADMIN: callers.super_admin,
    }[spec.role]
    allowed = request(stack, spec, right)
    assert allowed.status_code not in (401, 403), allowed.text
    assert allowed.status_code < 500, allowed.text
