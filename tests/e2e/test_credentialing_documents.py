"""Therapist credential documents over HTTP: one of the therapist's own checked uploads, described; listed, read and
deleted by their owner only (anyone else's id is 404); erased with their owner."""

from __future__ import annotations

import requests

from bloom.core.time import utcnow
from bloom.credentialing.repository import DocumentsRepository
from bloom.platform.store.unit_of_work import UnitOfWork
from bloom.users.events import USER_DELETED, UserDeleted
from infra.auth_emulator import AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.credentialing import add_document, api, checked_upload
from tests.support.files import PDF_BYTES
from tests.support.practice import practice_admin, therapist
from tests.support.wait import eventually


def test_a_therapist_files_lists_reads_and_deletes_documents(stack: RunningStack, auth: AuthEmulator) -> None:
    dr = therapist(stack, auth, practice_admin(auth), "dr.docs@example.com")
    upload_id = checked_upload(stack, dr.account)
    body = {
        "uploadId": upload_id,
        "kind": "license",
        "number": " LCSW-1234 ",
        "issuer": "California Board of Behavioral Sciences",
        "state": "US-CA",
        "expiresOn": "2031-06-30",
    }
    created = api(stack, "POST", "documents", dr.account, body)
    assert created.status_code == 201, created.text
    document = created.json()
    assert {k: document[k] for k in ("uploadId", "fileName", "kind", "number", "state", "expiresOn")} == {
        "uploadId": upload_id,
        "fileName": "credential.pdf",
        "kind": "license",
        "number": "LCSW-1234",
        "state": "US-CA",
        "expiresOn": "2031-06-30",
    }
    cv = add_document(stack, dr.account, "cv")
    assert cv["expiresOn"] is None
    listed = api(stack, "GET", "documents", dr.account).json()["items"]
    assert [d["id"] for d in listed] == [cv["id"], document["id"]]
    assert api(stack, "GET", f"documents/{document['id']}", dr.account).json() == document
    assert api(stack, "DELETE", f"documents/{document['id']}", dr.account).json() == document
    assert api(stack, "GET", f"documents/{document['id']}", dr.account).status_code == 404
    assert [d["id"] for d in api(stack, "GET", "documents", dr.account).json()["items"]] == [cv["id"]]


def test_only_the_callers_own_checked_upload_can_be_filed(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = practice_admin(auth)
    dr = therapist(stack, auth, admin, "dr.own@example.com")
    other = therapist(stack, auth, admin, "dr.other@example.com")
    theirs = checked_upload(stack, other.account)
    refused = api(stack, "POST", "documents", dr.account, {"uploadId": theirs, "kind": "cv"})
    assert (refused.status_code, refused.json()["message"]) == (404, "UPLOAD NOT FOUND")
    missing = api(stack, "POST", "documents", dr.account, {"uploadId": "no-such-upload", "kind": "cv"})
    assert missing.status_code == 404


def test_an_unchecked_upload_cannot_be_filed(stack: RunningStack, auth: AuthEmulator) -> None:
    dr = therapist(stack, auth, practice_admin(auth), "dr.pending@example.com")
    ticket = requests.post(
        f"{stack.api}/v1/practice/uploads",
        json={
            "purpose": "document",
            "fileName": "licence.pdf",
            "contentType": "application/pdf",
            "size": len(PDF_BYTES),
        },
        headers=dr.headers,
        timeout=30,
    ).json()  # started, never uploaded: still pending
    refused = api(stack, "POST", "documents", dr.account, {"uploadId": ticket["uploadId"], "kind": "license"})
    assert (refused.status_code, refused.json()["message"]) == (409, "UPLOAD NOT AVAILABLE")


def test_bad_descriptions_are_refused_with_every_reason(stack: RunningStack, auth: AuthEmulator) -> None:
    dr = therapist(stack, auth, practice_admin(auth), "dr.bad@example.com")
    body = {"uploadId": "u", "kind": "passport", "state": "California", "expiresOn": "31/12/2030", "number": ""}
    refused = api(stack, "POST", "documents", dr.account, body)
    assert refused.status_code == 400
    assert len(refused.json()["message"]) == 4, refused.json()


def test_someone_elses_document_is_not_found(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = practice_admin(auth)
    dr = therapist(stack, auth, admin, "dr.mine@example.com")
    other = therapist(stack, auth, admin, "dr.theirs@example.com")
    document = add_document(stack, dr.account, "npi", number="1234567893")
    for method in ("GET", "DELETE"):
        response = api(stack, method, f"documents/{document['id']}", other.account)
        assert (response.status_code, response.json()["message"]) == (404, "CREDENTIALING DOCUMENT NOT FOUND")
        assert api(stack, method, f"documents/{document['id']}", admin).status_code == 403  # documents are therapists'
    assert api(stack, "GET", "documents", other.account).json()["items"] == []
    assert api(stack, "GET", f"documents/{document['id']}", dr.account).status_code == 200


def test_a_deleted_therapists_documents_are_erased(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = practice_admin(auth)
    dr = therapist(stack, auth, admin, "dr.gone@example.com")
    other = therapist(stack, auth, admin, "dr.stays@example.com")
    mine = [add_document(stack, dr.account, kind)["id"] for kind in ("license", "cv")]
    kept = add_document(stack, other.account, "cv")["id"]
    for _ in range(2):  # a retried event finds nothing left
        with UnitOfWork() as uow:
            uow.emit(USER_DELETED, UserDeleted(user_id=dr.user_id, deleted_at=utcnow().isoformat()))
    eventually(lambda: [DocumentsRepository().get(d) for d in mine], lambda found: found == [None, None])
    assert DocumentsRepository().get(kept) is not None
