"""Mailchimp's audience webhook end to end: its URL check, form-encoded deliveries with `?secret=`, and the
permissions they change."""

from __future__ import annotations

from typing import Any

import requests

from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.accounts import call, signed_up

SECRET = "test-mailchimp-webhook-secret"
AUDIENCE = "test-audience"


def deliver(stack: RunningStack, form: dict[str, str], secret: str | None = SECRET) -> requests.Response:
    params = {} if secret is None else {"secret": secret}
    return requests.post(f"{stack.api}/webhooks/mailchimp", params=params, data=form, timeout=30)


def event(kind: str, email: str, **data: str) -> dict[str, str]:
    form = {"type": kind, "fired_at": "2026-01-01 10:00:00", "data[email]": email, "data[list_id]": AUDIENCE}
    form.update({f"data[{key}]": value for key, value in data.items()})
    return form


def permissions(stack: RunningStack, account: AuthAccount) -> tuple[bool, bool]:
    user: dict[str, Any] = call(stack, "GET", "user/me", account)["user"]
    return user["contactPermission"], user["serviceEmailsPermission"]


def test_the_url_check_is_answered(stack: RunningStack) -> None:
    response = requests.get(f"{stack.api}/webhooks/mailchimp", timeout=10)
    assert (response.status_code, response.json()) == (200, None)


def test_a_bad_or_missing_secret_is_401(stack: RunningStack, auth: AuthEmulator) -> None:
    account = signed_up(stack, auth, "member@example.com", contactPermission=True)
    for secret in (None, "", "wrong-secret", SECRET + "x"):
        response = deliver(stack, event("unsubscribe", "member@example.com"), secret)
        assert response.status_code == 401, secret
    assert permissions(stack, account) == (True, True)


def test_each_type_changes_what_it_should(stack: RunningStack, auth: AuthEmulator) -> None:
    account = signed_up(stack, auth, "member@example.com", contactPermission=True)
    for kind in ("upemail", "profile", "subscribe", "campaign"):
        response = deliver(stack, event(kind, "member@example.com", new_email="new@example.com"))
        assert (response.status_code, response.json()) == (201, {"applied": False}), kind
        assert permissions(stack, account) == (True, True), kind

    unsubscribed = deliver(stack, event("unsubscribe", "Member@Example.com", reason="manual"))
    assert (unsubscribed.status_code, unsubscribed.json()) == (201, {"applied": True})
    assert permissions(stack, account) == (False, True)

    cleaned = deliver(stack, event("cleaned", "member@example.com", reason="hard"))
    assert (cleaned.status_code, cleaned.json()) == (201, {"applied": True})
    assert permissions(stack, account) == (False, False)
    assert deliver(stack, event("cleaned", "member@example.com")).status_code == 201  # a repeat changes nothing more
    assert permissions(stack, account) == (False, False)


def test_an_unknown_email_or_another_audience_changes_nothing(stack: RunningStack, auth: AuthEmulator) -> None:
    account = signed_up(stack, auth, "member@example.com", contactPermission=True)
    unknown = deliver(stack, event("unsubscribe", "nobody@example.com"))
    assert (unknown.status_code, unknown.json()) == (201, {"applied": False})
    other_list = {**event("unsubscribe", "member@example.com"), "data[list_id]": "another-audience"}
    assert deliver(stack, other_list).json() == {"applied": False}
    assert permissions(stack, account) == (True, True)


def test_a_malformed_delivery_is_400(stack: RunningStack) -> None:
    response = deliver(stack, {"data[email]": "member@example.com"})
    assert response.status_code == 400
    assert any("type" in message for message in response.json()["message"])
