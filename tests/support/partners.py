"""Partners over HTTP: super admins, partners, features, partner admins and access codes, for tests of any area."""

from __future__ import annotations

from typing import Any

import requests

from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.users import make_user

ADMIN_EMAIL = "superadmin@example.com"


def call(
    stack: RunningStack,
    method: str,
    path: str,
    who: AuthAccount | None = None,
    body: Any = None,
    params: dict[str, str] | None = None,
) -> requests.Response:
    """One request to `/api/v1/<path>` as the frontend sends it."""
    return requests.request(
        method,
        f"{stack.api}/v1/{path}",
        headers=who.headers if who else {},
        json=body,
        params=params,
        timeout=30,
    )


def ok(response: requests.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.status_code} {response.text}"
    return response.json()


def error(response: requests.Response, status: int, message: Any) -> None:
    assert response.status_code == status, f"{response.status_code} {response.text}"
    body = response.json()
    assert body["message"] == message, body
    assert body["statusCode"] == status and body["path"].startswith("/api/v1/") and body["timestamp"]


def super_admin(auth: AuthEmulator, email: str = ADMIN_EMAIL) -> AuthAccount:
    account = make_user(auth, email, isSuperAdmin=True)
    return auth.second_factor_token(auth.verify_email(account))


def new_partner(stack: RunningStack, admin: AuthAccount, name: str) -> dict[str, Any]:
    partner: dict[str, Any] = ok(call(stack, "POST", "partner", admin, {"name": name}), 201)
    return partner


def new_feature(stack: RunningStack, admin: AuthAccount, name: str) -> dict[str, Any]:
    feature: dict[str, Any] = ok(call(stack, "POST", "feature", admin, {"name": name}), 201)
    return feature


def public_id(account: AuthAccount) -> str:
    """The public id make_user gives a user."""
    return f"user-{account.uid}"


def new_partner_admin(
    stack: RunningStack, auth: AuthEmulator, admin: AuthAccount, partner_id: str, email: str
) -> tuple[AuthAccount, dict[str, Any]]:
    account = make_user(auth, email)
    record = ok(
        call(stack, "POST", "partner-admin", admin, {"userId": public_id(account), "partnerId": partner_id}), 201
    )
    return account, record


def new_code(stack: RunningStack, partner_admin: AuthAccount, **fields: Any) -> dict[str, Any]:
    body = {"featureLiveChat": True, "featureTherapy": True, "therapySessionsRemaining": 6, **fields}
    access: dict[str, Any] = ok(call(stack, "POST", "partner-access", partner_admin, body), 201)
    return access
