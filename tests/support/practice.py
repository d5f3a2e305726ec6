"""Practice people over HTTP, as the frontend makes them: practice admins, therapists (created by an admin, then
signed in with a second factor), patients, assignments and care threads."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import requests

from infra.auth_emulator import OWNER, AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.accounts import call, super_admin
from tests.support.users import make_user

PASSWORD = "a-Long-therapist-passphrase-9"
P = "practice"


@dataclass(frozen=True)
class Therapist:
    account: AuthAccount
    profile_id: str
    user_id: str

    @property
    def headers(self) -> dict[str, str]:
        return self.account.headers


def practice_admin(auth: AuthEmulator, email: str = "practice.admin@example.com") -> AuthAccount:
    """A super admin (super admins are practice admins) signed in with a second factor."""
    return super_admin(auth, email)


def uid_of(stack: RunningStack, email: str) -> str:
    response = requests.post(
        f"{stack.auth}/identitytoolkit.googleapis.com/v1/projects/{stack.project}/accounts:lookup",
        json={"email": [email]},
        headers=OWNER,
        timeout=10,
    )
    response.raise_for_status()
    return str(response.json()["users"][0]["localId"])


def therapist(
    stack: RunningStack,
    auth: AuthEmulator,
    admin: AuthAccount,
    email: str,
    *,
    mfa: bool = True,
    **profile: Any,
) -> Therapist:
    """A therapist created by a practice admin, with the profile fields given (accepting patients by default),
    signed in (with a second factor unless `mfa=False`)."""
    created = call(stack, "POST", f"{P}/therapists", admin, json={"email": email, "name": "Dr Test"})
    uid = uid_of(stack, email)
    auth.update(uid, password=PASSWORD)
    account = AuthAccount(uid, email, PASSWORD, auth.sign_in(email, PASSWORD)["idToken"])
    signed_in = auth.second_factor_token(account) if mfa else account
    fields = {"acceptingPatients": True, **profile}
    call(stack, "PATCH", f"{P}/therapists/{created['id']}", admin, json=fields)
    return Therapist(signed_in, created["id"], created["userId"])


def patient(auth: AuthEmulator, email: str) -> AuthAccount:
    return make_user(auth, email, name="Pat")


def user_id(account: AuthAccount) -> str:
    """The public user id `make_user` gives an account."""
    return f"user-{account.uid}"


def active_assignment(stack: RunningStack, admin: AuthAccount, who: Therapist, patient_account: AuthAccount) -> str:
    body = {"therapistId": who.profile_id, "patientId": user_id(patient_account)}
    created: dict[str, Any] = call(stack, "POST", f"{P}/assignments", admin, json=body)
    return str(created["id"])


def care_thread(stack: RunningStack, account: AuthAccount, assignment_id: str) -> str:
    thread = call(stack, "POST", f"{P}/threads", account, json={"kind": "care", "assignmentId": assignment_id})
    return str(thread["id"])


def send(
    stack: RunningStack, account: AuthAccount, thread_id: str, text: str, client_id: str | None = None
) -> requests.Response:
    body = {"text": text, "clientMessageId": client_id or uuid.uuid4().hex}
    return requests.post(
        f"{stack.api}/v1/{P}/threads/{thread_id}/messages", json=body, headers=account.headers, timeout=30
    )


def statuses_by_caller(
    stack: RunningStack,
    callers: dict[str, AuthAccount | None],
    order: tuple[str, ...],
    expected: dict[str, int],
    request: tuple[str, str, dict[str, object] | None],
) -> dict[str, int]:
    """The same practice request (method, path under `practice/`, body) made by each caller `expected` names, in
    `order` (those that must fail first: calls change state); the status each got."""
    method, path, body = request
    seen = {}
    for who in order:
        if who in expected:
            account = callers[who]
            headers = account.headers if account is not None else {}
            url = f"{stack.api}/v1/{P}/{path}"
            seen[who] = requests.request(method, url, json=body, headers=headers, timeout=30).status_code
    return seen
