"""Passkeys over HTTP: registration and login ceremonies with a software authenticator, the custom token signed
in through the Auth emulator, single-use challenges, counter regression (refused and audited), list and removal."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import requests

from bloom.core.time import utcnow
from bloom.identity.repository import AuthAuditRepository, ChallengesRepository, PasskeysRepository
from bloom.platform.store.repository import Filter
from bloom.platform.store.unit_of_work import UnitOfWork
from bloom.users.events import USER_DELETED, UserDeleted
from infra.auth_emulator import API_KEY, AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.authenticator import SoftwareAuthenticator, from_b64url
from tests.support.users import make_user
from tests.support.wait import eventually

BASE = "practice/auth/passkeys"


@pytest.fixture
def user(auth: AuthEmulator) -> AuthAccount:
    return make_user(auth, "passkey.user@example.com")


def api(
    stack: RunningStack, method: str, path: str, account: AuthAccount | None = None, **kw: Any
) -> requests.Response:
    headers = account.headers if account is not None else {}
    return requests.request(method, f"{stack.api}/v1/{path}", headers=headers, timeout=30, **kw)


def registered(
    stack: RunningStack, account: AuthAccount, authenticator: SoftwareAuthenticator, attestation: str = "packed"
) -> dict[str, Any]:
    options = api(stack, "POST", f"{BASE}/register/options", account)
    assert options.status_code == 201, options.text
    credential = authenticator.create(options.json(), attestation)
    verified = api(stack, "POST", f"{BASE}/register/verify", account, json={"credential": credential, "name": "phone"})
    assert verified.status_code == 201, verified.text
    result: dict[str, Any] = verified.json()
    return result


def login_options(stack: RunningStack) -> dict[str, Any]:
    response = api(stack, "POST", f"{BASE}/login/options")
    assert response.status_code == 201, response.text
    options: dict[str, Any] = response.json()
    return options


def audit(action: str) -> list[dict[str, Any]]:
    rows = AuthAuditRepository().select([Filter("action", "==", action)])
    return [record.model_dump(by_alias=True) for _, record in rows]


@pytest.mark.parametrize("attestation", ["packed", "none"])
def test_register_then_sign_in_with_a_custom_token(
    stack: RunningStack, auth: AuthEmulator, user: AuthAccount, attestation: str
) -> None:
    authenticator = SoftwareAuthenticator()
    options = api(stack, "POST", f"{BASE}/register/options", user).json()
    assert options["rp"] == {"id": "localhost", "name": "Bloom"}
    assert options["user"]["name"] == "Bloom"  # never the person's name or email
    assert options["timeout"] == 300000
    passkey = registered(stack, user, authenticator, attestation)
    assert passkey["name"] == "phone" and passkey["lastUsedAt"] is None

    options = login_options(stack)
    response = api(stack, "POST", f"{BASE}/login/verify", json={"credential": authenticator.get(options)})
    assert response.status_code == 201, response.text
    signed_in = requests.post(
        f"{stack.auth}/identitytoolkit.googleapis.com/v1/accounts:signInWithCustomToken?key={API_KEY}",
        json={"token": response.json()["customToken"], "returnSecureToken": True},
        timeout=10,
    )
    assert signed_in.ok, signed_in.text
    claims = json.loads(from_b64url(signed_in.json()["idToken"].split(".")[1]))
    assert (claims["sub"], claims["bloomPasskey"]) == (user.uid, True)
    token_account = AuthAccount(user.uid, user.email, user.password, signed_in.json()["idToken"])
    listed = api(stack, "GET", BASE, token_account)  # the new ID token works on the API
    assert listed.status_code == 200
    assert [p["id"] for p in listed.json()] == [passkey["id"]] and listed.json()[0]["lastUsedAt"] is not None
    assert [(r["actorId"], r["details"]["passkeyId"]) for r in audit("passkey.registered")] == [
        (f"user-{user.uid}", passkey["id"])
    ]
    assert len(audit("passkey.used")) == 1


def test_a_challenge_serves_once_and_expires(stack: RunningStack, user: AuthAccount) -> None:
    authenticator = SoftwareAuthenticator()
    registered(stack, user, authenticator)
    credential = authenticator.get(login_options(stack))
    assert api(stack, "POST", f"{BASE}/login/verify", json={"credential": credential}).status_code == 201
    replayed = api(stack, "POST", f"{BASE}/login/verify", json={"credential": credential})
    assert (replayed.status_code, replayed.json()["message"]) == (400, "PASSKEY CHALLENGE INVALID OR EXPIRED")

    options = login_options(stack)
    repo = ChallengesRepository()
    repo.change(options["challenge"], expires_at=utcnow() - timedelta(seconds=1))
    expired = api(stack, "POST", f"{BASE}/login/verify", json={"credential": authenticator.get(options)})
    assert expired.status_code == 400

    # A registration challenge is not a login challenge, and someone else's registration challenge is not yours.
    register_options = api(stack, "POST", f"{BASE}/register/options", user).json()
    wrong_kind = api(stack, "POST", f"{BASE}/login/verify", json={"credential": authenticator.get(register_options)})
    assert wrong_kind.status_code == 400


def test_a_counter_going_backwards_is_refused_and_audited(stack: RunningStack, user: AuthAccount) -> None:
    authenticator = SoftwareAuthenticator()
    passkey = registered(stack, user, authenticator)
    ok = api(
        stack,
        "POST",
        f"{BASE}/login/verify",
        json={"credential": authenticator.get(login_options(stack), sign_count=5)},
    )
    assert ok.status_code == 201
    cloned = authenticator.get(login_options(stack), sign_count=3)
    refused = api(stack, "POST", f"{BASE}/login/verify", json={"credential": cloned})
    assert (refused.status_code, refused.json()["message"]) == (401, "PASSKEY LOGIN FAILED")
    assert "customToken" not in refused.text
    [rejected] = audit("passkey.rejected")
    assert rejected["subjectId"] == f"user-{user.uid}"
    assert rejected["details"] == {
        "passkeyId": passkey["id"],
        "reason": "counter",
        "storedCount": 5,
        "presentedCount": 3,
    }
    assert rejected["requestId"]
    stored = PasskeysRepository().get(passkey["id"])
    assert stored is not None and stored.sign_count == 5


def test_a_bad_signature_or_unknown_passkey_is_refused(stack: RunningStack, user: AuthAccount) -> None:
    authenticator = SoftwareAuthenticator()
    registered(stack, user, authenticator)
    forged = authenticator.get(login_options(stack))
    forged["response"]["signature"] = SoftwareAuthenticator().get(login_options(stack))["response"]["signature"]
    assert api(stack, "POST", f"{BASE}/login/verify", json={"credential": forged}).status_code == 401
    stranger = SoftwareAuthenticator()
    unknown = api(stack, "POST", f"{BASE}/login/verify", json={"credential": stranger.get(login_options(stack))})
    assert unknown.status_code == 401
    assert sorted(r["details"]["reason"] for r in audit("passkey.rejected")) == ["unknown", "verification"]
    junk = api(stack, "POST", f"{BASE}/login/verify", json={"credential": {"id": "x"}})
    assert junk.status_code == 401


def test_list_and_remove_only_your_own(stack: RunningStack, auth: AuthEmulator, user: AuthAccount) -> None:
    other = make_user(auth, "other.passkey@example.com")
    mine = registered(stack, user, SoftwareAuthenticator())
    theirs = registered(stack, other, SoftwareAuthenticator())
    assert [p["id"] for p in api(stack, "GET", BASE, user).json()] == [mine["id"]]
    assert api(stack, "DELETE", f"{BASE}/{theirs['id']}", user).status_code == 404
    assert api(stack, "DELETE", f"{BASE}/{mine['id']}", None).status_code == 401
    removed = api(stack, "DELETE", f"{BASE}/{mine['id']}", user)
    assert removed.status_code == 200 and removed.json()["id"] == mine["id"]
    assert api(stack, "GET", BASE, user).json() == []
    assert [r["details"]["passkeyId"] for r in audit("passkey.removed")] == [mine["id"]]
    assert api(stack, "POST", f"{BASE}/register/options").status_code == 401


def test_a_passkey_registers_once(stack: RunningStack, user: AuthAccount) -> None:
    authenticator = SoftwareAuthenticator()
    registered(stack, user, authenticator)
    options = api(stack, "POST", f"{BASE}/register/options", user).json()
    assert [c["id"] for c in options["excludeCredentials"]] == [PasskeysRepository().of_user(f"user-{user.uid}")[0].id]
    again = api(stack, "POST", f"{BASE}/register/verify", user, json={"credential": authenticator.create(options)})
    assert (again.status_code, again.json()["message"]) == (409, "PASSKEY ALREADY REGISTERED")


def test_a_deleted_users_passkeys_are_erased(stack: RunningStack, auth: AuthEmulator, user: AuthAccount) -> None:
    other = make_user(auth, "kept.passkey@example.com")
    registered(stack, user, SoftwareAuthenticator())
    kept = registered(stack, other, SoftwareAuthenticator())
    for _ in range(2):
        with UnitOfWork() as uow:
            uow.emit(USER_DELETED, UserDeleted(user_id=f"user-{user.uid}", deleted_at=utcnow().isoformat()))
    eventually(lambda: PasskeysRepository().of_user(f"user-{user.uid}"), lambda found: found == [])
    assert [p.id for p in PasskeysRepository().of_user(f"user-{other.uid}")] == [kept["id"]]
