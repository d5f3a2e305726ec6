"""Credentialing's role matrix and BOLA probes: every document and application endpoint against every kind of
caller, with real ids. Callers as in `tests.support.role_matrix`; someone else's document or application is 404, never
revealing that it exists. Each endpoint gets a fresh world; callers go in `ORDER` (the one that succeeds last)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
import requests

from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.manifest import load_everything
from infra.stack_runner import RunningStack
from tests.support.credentialing import C, add_document, checked_upload, seed_application
from tests.support.role_matrix import cast


@dataclass(frozen=True)
class World:
    callers: dict[str, AuthAccount | None]
    upload: str  # dr's checked upload, not filed yet
    document: str  # dr's document
    draft: str  # dr's draft application (no requirements: it can be submitted)
    submitted: str  # dr's submitted application


Request = tuple[str, str, dict[str, object] | None]
ORDER = ("none", "no_mfa", "admin_no_mfa", "outsider", "pat", "other_dr", "admin", "dr")
DENIED = {"none": 401, "no_mfa": 403, "admin_no_mfa": 403}
NOT_STAFF = {"outsider": 403, "pat": 403}
THERAPISTS_ONLY = {**DENIED, **NOT_STAFF, "admin": 403}


def world(stack: RunningStack, auth: AuthEmulator) -> World:
    people = cast(stack, auth, "creds")
    dr = people.dr
    document = add_document(stack, dr.account, "license", expiresOn="2040-01-01")["id"]
    seed_application("draft-app", dr.account.uid, "draft", owner_id=dr.user_id)
    seed_application("submitted-app", dr.account.uid, "submitted", owner_id=dr.user_id)
    return World(people.callers(), checked_upload(stack, dr.account), document, "draft-app", "submitted-app")


CASES: dict[str, tuple[Callable[[World], Request], dict[str, int]]] = {
    "add_credentialing_document": (
        lambda w: ("POST", "documents", {"uploadId": w.upload, "kind": "cv"}),
        {**THERAPISTS_ONLY, "other_dr": 404, "dr": 201},
    ),
    "list_credentialing_documents": (
        lambda w: ("GET", "documents", None),
        {**THERAPISTS_ONLY, "other_dr": 200, "dr": 200},
    ),
    "get_credentialing_document": (
        lambda w: ("GET", f"documents/{w.document}", None),
        {**THERAPISTS_ONLY, "other_dr": 404, "dr": 200},
    ),
    "delete_credentialing_document": (
        lambda w: ("DELETE", f"documents/{w.document}", None),
        {**THERAPISTS_ONLY, "other_dr": 404, "dr": 200},
    ),
    "create_credentialing_application": (  # no requirements are known in this world: refused, but allowed
        lambda w: ("POST", "applications", {"payer": "northwind", "state": "US-NY"}),
        {**THERAPISTS_ONLY, "other_dr": 409, "dr": 409},
    ),
    "list_credentialing_applications": (
        lambda w: ("GET", "applications", None),
        {**DENIED, **NOT_STAFF, "other_dr": 200, "admin": 200, "dr": 200},
    ),
    "get_credentialing_application": (
        lambda w: ("GET", f"applications/{w.draft}", None),
        {**DENIED, **NOT_STAFF, "other_dr": 404, "admin": 200, "dr": 200},
    ),
    "submit_credentialing_application": (
        lambda w: ("POST", f"applications/{w.draft}/submit", None),
        {**THERAPISTS_ONLY, "other_dr": 404, "dr": 201},
    ),
    "update_credentialing_application": (
        lambda w: ("PATCH", f"applications/{w.submitted}", {"status": "in_review"}),
        {**DENIED, **NOT_STAFF, "other_dr": 403, "dr": 403, "admin": 200},
    ),
}


def test_every_document_and_application_endpoint_is_in_the_matrix() -> None:
    names = {spec.name for spec in load_everything().values() if spec.module == "functions.credentialing"}
    assert names - {"credentialing_daily", "erase_credentials_of_deleted_user"} == set(CASES)


def status(stack: RunningStack, request: Request, account: AuthAccount | None) -> int:
    method, path, body = request
    headers = account.headers if account is not None else {}
    return requests.request(method, f"{stack.api}/v1/{C}/{path}", json=body, headers=headers, timeout=30).status_code


@pytest.mark.parametrize("name", sorted(CASES))
def test_role_matrix(name: str, stack: RunningStack, auth: AuthEmulator) -> None:
    w = world(stack, auth)
    build, expected = CASES[name]
    callers = [who for who in ORDER if who in expected]  # in order: the one that succeeds goes last
    assert {who: status(stack, build(w), w.callers[who]) for who in callers} == {who: expected[who] for who in callers}
