"""Accounts over HTTP, as the frontend makes them: signups, super admins, partners with admins and access codes,
and a look at the Auth emulator's accounts (to check that nothing was left behind)."""

from __future__ import annotations

from typing import Any

import requests

from infra.auth_emulator import OWNER, AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.users import make_user

PASSWORD = "a-Long-and-unusual-passphrase-7"


def signup_body(email: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Sam", "email": email, "password": PASSWORD, "contactPermission": False}
    body.update(overrides)
    return body


def sign_up(stack: RunningStack, email: str, **overrides: Any) -> requests.Response:
    return requests.post(f"{stack.api}/v1/user", json=signup_body(email, **overrides), timeout=30)


def signed_up(stack: RunningStack, auth: AuthEmulator, email: str, **overrides: Any) -> AuthAccount:
    """A user created through `POST user`, signed in with the password they chose."""
    response = sign_up(stack, email, **overrides)
    assert response.status_code == 201, response.text
    password = str(overrides.get("password", PASSWORD))
    result = auth.sign_in(email.lower(), password)
    return AuthAccount(result["localId"], email.lower(), password, result["idToken"])


def super_admin(auth: AuthEmulator, email: str = "super.admin@example.com") -> AuthAccount:
    """A super admin: isSuperAdmin, a verified email, and a token from a second-factor sign-in."""
    account = make_user(auth, email, isSuperAdmin=True)
    auth.verify_email(account)
    return auth.second_factor_token(account)


def call(stack: RunningStack, method: str, path: str, account: AuthAccount | None = None, **kwargs: Any) -> Any:
    """A request that must succeed; returns the JSON body."""
    headers = account.headers if account is not None else {}
    response = requests.request(method, f"{stack.api}/v1/{path}", headers=headers, timeout=30, **kwargs)
    assert response.ok, f"{method} {path}: {response.status_code} {response.text}"
    return response.json()


def partner(stack: RunningStack, admin: AuthAccount, name: str, *, automatic_access: bool) -> dict[str, Any]:
    """A partner, with an active AUTOMATIC_ACCESS_CODE partner feature when asked for."""
    created: dict[str, Any] = call(stack, "POST", "partner", admin, json={"name": name})
    if automatic_access:
        features = call(stack, "GET", "feature", admin)
        feature = next((f for f in features if f["name"] == "AUTOMATIC_ACCESS_CODE"), None)
        if feature is None:
            feature = call(stack, "POST", "feature", admin, json={"name": "AUTOMATIC_ACCESS_CODE"})
        call(
            stack,
            "POST",
            "partner-feature",
            admin,
            json={"partnerId": created["id"], "featureId": feature["id"], "active": True},
        )
    return created


def partner_admin(
    stack: RunningStack, auth: AuthEmulator, admin: AuthAccount, partner_id: str, email: str
) -> AuthAccount:
    """A signed-up user made partner admin of `partner_id` by a super admin."""
    account = signed_up(stack, auth, email)
    user_id = call(stack, "GET", "user/me", account)["user"]["id"]
    call(stack, "POST", "partner-admin", admin, json={"userId": user_id, "partnerId": partner_id})
    return account


def access_code(stack: RunningStack, admin_of_partner: AuthAccount, **fields: Any) -> str:
    body = {"featureLiveChat": True, "featureTherapy": False, "therapySessionsRemaining": 0, **fields}
    created = call(stack, "POST", "partner-access", admin_of_partner, json=body)
    code: str = created["accessCode"]
    return code


def auth_emails(stack: RunningStack) -> list[str]:
    """The emails of every account in the Auth emulator (its admin REST API)."""
    response = requests.get(
        f"{stack.auth}/identitytoolkit.googleapis.com/v1/projects/{stack.project}/accounts:batchGet",
        params={"maxResults": 1000},
        headers=OWNER,
        timeout=10,
    )
    response.raise_for_status()
    return sorted(str(user.get("email", "")) for user in response.json().get("users", []))
