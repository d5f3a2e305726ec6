"""Credentialing applications over HTTP, on requirements ingested from a real PDF: the checklist matches each
requirement to an unexpired document of its kind, submission is refused naming what is missing, practice admins
move applications through legal transitions only, every change is in the history, and nobody else sees them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bloom.core.time import utcnow
from bloom.credentialing.repository import ApplicationsRepository
from bloom.platform.store.unit_of_work import UnitOfWork
from bloom.users.events import USER_DELETED, UserDeleted
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.credentialing import add_document, api, requirements_source
from tests.support.practice import Therapist, practice_admin, therapist
from tests.support.wait import eventually

NORTHWIND = [
    "Every clinician must hold a current, unrestricted New York license.",
    "Malpractice insurance of at least one million dollars per claim is required.",
    "Each provider must have an individual NPI number.",
]
APPLY = {"payer": "northwind", "state": "US-NY"}


def day(days: int) -> str:
    return (utcnow().date() + timedelta(days=days)).isoformat()


@pytest.fixture
def admin(auth: AuthEmulator) -> AuthAccount:
    return practice_admin(auth)


@pytest.fixture
def dr(stack: RunningStack, auth: AuthEmulator, admin: AuthAccount) -> Therapist:
    requirements_source(stack, admin, NORTHWIND)
    return therapist(stack, auth, admin, "dr.apply@example.com")


def requirements(stack: RunningStack, dr: Therapist) -> list[dict[str, Any]]:
    response = api(stack, "GET", "requirements?payer=northwind&state=US-NY", dr.account)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def created(stack: RunningStack, dr: Therapist) -> dict[str, Any]:
    response = api(stack, "POST", "applications", dr.account, APPLY)
    assert response.status_code == 201, response.text
    application: dict[str, Any] = response.json()
    return application


def test_the_checklist_matches_unexpired_documents_and_submission_needs_them_all(
    stack: RunningStack, dr: Therapist
) -> None:
    wanted = requirements(stack, dr)
    assert {item["kind"] for item in wanted} == {"license", "malpractice_insurance", "npi"}
    application = created(stack, dr)
    assert (application["status"], application["payer"], application["state"]) == ("draft", "northwind", "US-NY")
    assert [(c["requirementId"], c["text"], c["satisfied"]) for c in application["checklist"]] == [
        (item["id"], item["text"], False) for item in wanted
    ]

    add_document(stack, dr.account, "license", expiresOn=day(-1))  # expired yesterday: it satisfies nothing
    add_document(stack, dr.account, "malpractice_insurance", expiresOn=day(0))  # good through today
    refused = api(stack, "POST", f"applications/{application['id']}/submit", dr.account)
    assert refused.status_code == 409
    assert refused.json()["message"] == [
        "CREDENTIALING APPLICATION INCOMPLETE",
        *(f"missing {item['kind']}: {item['text']}" for item in wanted if item["kind"] in ("license", "npi")),
    ]

    licence = add_document(stack, dr.account, "license", expiresOn=day(400))
    npi = add_document(stack, dr.account, "npi", number="1234567893")
    draft = api(stack, "GET", f"applications/{application['id']}", dr.account).json()
    assert {c["kind"]: c["documentId"] for c in draft["checklist"]}["license"] == licence["id"]
    assert all(c["satisfied"] for c in draft["checklist"])

    submitted = api(stack, "POST", f"applications/{application['id']}/submit", dr.account)
    assert submitted.status_code == 201, submitted.text
    body = submitted.json()
    assert body["status"] == "submitted"
    assert {c["kind"]: c["documentId"] for c in body["checklist"]}["npi"] == npi["id"]
    assert [(h["fromStatus"], h["toStatus"]) for h in body["history"]] == [(None, "draft"), ("draft", "submitted")]
    again = api(stack, "POST", f"applications/{application['id']}/submit", dr.account)
    assert (again.status_code, again.json()["message"]) == (409, "CREDENTIALING APPLICATION ALREADY SUBMITTED")

    api(stack, "DELETE", f"documents/{npi['id']}", dr.account)  # the submitted checklist stays as submitted
    kept = api(stack, "GET", f"applications/{application['id']}", dr.account).json()
    assert kept["checklist"] == body["checklist"]


def test_one_open_application_per_payer_and_state_and_none_without_requirements(
    stack: RunningStack, dr: Therapist
) -> None:
    created(stack, dr)
    twice = api(stack, "POST", "applications", dr.account, APPLY)
    assert (twice.status_code, twice.json()["message"]) == (409, "CREDENTIALING APPLICATION ALREADY OPEN")
    unknown = api(stack, "POST", "applications", dr.account, {"payer": "nobody", "state": "US-NY"})
    assert (unknown.status_code, unknown.json()["message"]) == (
        409,
        "NO CREDENTIALING REQUIREMENTS KNOWN FOR THIS PAYER AND STATE",
    )


def submitted_application(stack: RunningStack, dr: Therapist) -> dict[str, Any]:
    for kind in ("license", "malpractice_insurance", "npi"):
        add_document(stack, dr.account, kind, expiresOn=day(400))
    application = created(stack, dr)
    submitted = api(stack, "POST", f"applications/{application['id']}/submit", dr.account)
    assert submitted.status_code == 201, submitted.text
    body: dict[str, Any] = submitted.json()
    return body


def test_admins_review_through_legal_transitions_with_history(
    stack: RunningStack, dr: Therapist, admin: AuthAccount
) -> None:
    application = submitted_application(stack, dr)
    path = f"applications/{application['id']}"
    review = api(stack, "PATCH", path, admin, {"status": "in_review", "followUpOn": day(14), "note": "Called payer"})
    assert review.status_code == 200, review.text
    assert (review.json()["status"], review.json()["followUpOn"]) == ("in_review", day(14))
    illegal = api(stack, "PATCH", path, admin, {"status": "draft"})
    assert (illegal.status_code, illegal.json()["message"]) == (409, "CREDENTIALING STATUS CHANGE NOT ALLOWED")
    approved = api(stack, "PATCH", path, admin, {"status": "approved", "decisionOn": day(0), "expiresOn": day(700)})
    assert approved.status_code == 200, approved.text
    dates = api(stack, "PATCH", path, admin, {"followUpOn": None}).json()
    assert (dates["status"], dates["followUpOn"], dates["expiresOn"]) == ("approved", None, day(700))
    assert [(h["fromStatus"], h["toStatus"], h["changed"], h["note"]) for h in dates["history"]] == [
        (None, "draft", [], None),
        ("draft", "submitted", [], None),
        ("submitted", "in_review", ["followUpOn"], "Called payer"),
        ("in_review", "approved", ["decisionOn", "expiresOn"], None),
        ("approved", "approved", ["followUpOn"], None),
    ]
    assert api(stack, "PATCH", path, admin, {"status": "denied"}).status_code == 409
    assert api(stack, "PATCH", path, admin, {}).status_code == 400
    assert api(stack, "PATCH", "applications/no-such-id", admin, {"status": "approved"}).status_code == 404


def test_nobody_else_sees_or_changes_an_application(
    stack: RunningStack, auth: AuthEmulator, dr: Therapist, admin: AuthAccount
) -> None:
    other = therapist(stack, auth, admin, "dr.nosy@example.com")
    application = created(stack, dr)
    path = f"applications/{application['id']}"
    for method, suffix in (("GET", ""), ("POST", "/submit")):
        response = api(stack, method, path + suffix, other.account)
        assert (response.status_code, response.json()["message"]) == (404, "CREDENTIALING APPLICATION NOT FOUND")
    assert api(stack, "PATCH", path, other.account, {"status": "in_review"}).status_code == 403
    assert api(stack, "POST", f"{path}/submit", admin).status_code == 403  # submitting is the therapist's
    assert api(stack, "GET", "applications", other.account).json()["items"] == []
    assert api(stack, "GET", path, admin).status_code == 200
    assert [a["id"] for a in api(stack, "GET", "applications", admin).json()["items"]] == [application["id"]]
    assert api(stack, "GET", "applications?status=submitted", admin).json()["items"] == []
    assert [a["id"] for a in api(stack, "GET", "applications", dr.account).json()["items"]] == [application["id"]]


def test_a_deleted_therapists_applications_are_erased(stack: RunningStack, dr: Therapist) -> None:
    application = created(stack, dr)
    with UnitOfWork() as uow:
        uow.emit(USER_DELETED, UserDeleted(user_id=dr.user_id, deleted_at=utcnow().isoformat()))
    eventually(lambda: ApplicationsRepository().get(application["id"]), lambda found: found is None)
