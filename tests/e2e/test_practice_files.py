"""Private uploads over HTTP on the local stack: signed PUT to the storage emulator, the stack's storage
notification, the finalize check, signed downloads, attachments and erasure."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import requests

from bloom.core.time import utcnow
from bloom.files import service as files
from bloom.files.repository import UploadsRepository
from bloom.platform.store.unit_of_work import UnitOfWork
from bloom.users.events import USER_DELETED, UserDeleted
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.files import (
    PDF_BYTES,
    PNG_BYTES,
    TEXT_BYTES,
    api,
    query,
    settled,
    start,
    status_of,
    uploaded,
)
from tests.support.users import make_user
from tests.support.wait import eventually

BUCKET = "demo-bloom-uploads"


@pytest.fixture
def owner(auth: AuthEmulator) -> AuthAccount:
    return make_user(auth, "owner@example.com")


@pytest.fixture
def other(auth: AuthEmulator) -> AuthAccount:
    return make_user(auth, "other@example.com")


def objects(stack: RunningStack) -> list[str]:
    listed = requests.get(f"{stack.storage}/storage/v1/b/{BUCKET}/o", timeout=10).json()
    return sorted(item["name"] for item in listed.get("items", []))


def test_an_upload_is_signed_checked_and_downloadable_by_its_owner(stack: RunningStack, owner: AuthAccount) -> None:
    before = utcnow()
    ticket = start(stack, owner, "image/png", len(PNG_BYTES), fileName="scan é.png")
    assert ticket["method"] == "PUT"
    assert ticket["headers"] == {
        "Content-Type": "image/png",
        "x-goog-content-length-range": f"{len(PNG_BYTES)},{len(PNG_BYTES)}",
    }
    signed = query(ticket["url"])
    assert signed["X-Goog-Algorithm"] == "GOOG4-RSA-SHA256"
    assert int(signed["X-Goog-Expires"]) == 600
    assert signed["X-Goog-SignedHeaders"].split(";") == ["content-type", "host", "x-goog-content-length-range"]
    assert signed["X-Goog-Signature"]
    expires = datetime.fromisoformat(ticket["expiresAt"])
    assert before < expires <= utcnow() + timedelta(minutes=10)
    assert f"/{BUCKET}/pending/{ticket['uploadId']}?" in ticket["url"]
    assert status_of(stack, owner, ticket["uploadId"]) == "pending"

    assert requests.put(ticket["url"], data=PNG_BYTES, headers=ticket["headers"], timeout=30).ok
    assert settled(stack, owner, ticket["uploadId"]) == "available"
    assert objects(stack) == [f"files/{ticket['uploadId']}"]  # promoted out of pending/

    link = api(stack, "GET", f"uploads/{ticket['uploadId']}/url", owner)
    assert link.status_code == 200, link.text
    assert int(query(link.json()["url"])["X-Goog-Expires"]) == 300
    assert datetime.fromisoformat(link.json()["expiresAt"]) <= utcnow() + timedelta(minutes=5)
    assert query(link.json()["url"])["response-content-disposition"].startswith('attachment; filename="scan _.png"')
    download = requests.get(link.json()["url"], timeout=30)
    assert download.content == PNG_BYTES


def test_starting_an_upload_waits_on_firestore_twice(stack: RunningStack, owner: AuthAccount) -> None:
    """A signed-in, rate-limited write: the caller's user read overlaps the per-user counter; the commit waits after
    the limiter's verdict."""
    body = {"purpose": "message", "fileName": "notes.txt", "contentType": "text/plain", "size": len(TEXT_BYTES)}
    response = api(stack, "POST", "uploads", owner, json=body)
    assert response.status_code == 201, response.text
    assert response.headers["X-Bloom-Firestore-Round-Trips"] == "2"


def test_bytes_of_another_type_are_rejected_and_deleted(stack: RunningStack, owner: AuthAccount) -> None:
    disguised = uploaded(stack, owner, PDF_BYTES, "image/png")  # a PDF declared as a PNG
    binary_text = uploaded(stack, owner, b"MZ\x90\x00\x03" + bytes(20), "text/plain")  # an executable as text
    good_text = uploaded(stack, owner, TEXT_BYTES, "text/plain")
    assert settled(stack, owner, disguised) == "rejected"
    assert settled(stack, owner, binary_text) == "rejected"
    assert settled(stack, owner, good_text) == "available"
    assert objects(stack) == [f"files/{good_text}"]
    refused = api(stack, "GET", f"uploads/{disguised}/url", owner)
    assert (refused.status_code, refused.json()["message"]) == (409, "UPLOAD NOT AVAILABLE")
    stored = UploadsRepository().get(disguised)
    assert stored is not None and stored.rejected_reason == "type" and stored.expire_at is not None


def test_oversize_is_refused_up_front_and_rejected_when_more_bytes_land(
    stack: RunningStack, owner: AuthAccount
) -> None:
    too_big = {"purpose": "document", "fileName": "big.pdf", "contentType": "application/pdf", "size": 25 * 2**20 + 1}
    response = api(stack, "POST", "uploads", owner, json=too_big)
    assert response.status_code == 400
    assert "size" in str(response.json()["message"])
    # Cloud Storage refuses a body outside x-goog-content-length-range; the emulator does not, so the check on
    # the landed object is what is tested here.
    ticket = start(stack, owner, "application/pdf", len(PDF_BYTES))
    assert requests.put(ticket["url"], data=PDF_BYTES + b"extra", headers=ticket["headers"], timeout=30).ok
    assert settled(stack, owner, ticket["uploadId"]) == "rejected"
    assert objects(stack) == []


def test_what_is_not_allowed_is_refused_with_every_reason(stack: RunningStack, owner: AuthAccount) -> None:
    """The rules themselves are unit tests (`tests/unit/test_files_rules.py`); here, that they answer 400."""
    body = {"purpose": "avatar", "fileName": "invoice\u202efdp.exe", "contentType": "application/pdf", "size": 0}
    response = api(stack, "POST", "uploads", owner, json=body)
    assert response.status_code == 400, response.text
    assert len(response.json()["message"]) == 3  # purpose, name (its extension) and size
    response = api(stack, "POST", "uploads", owner, json=body | {"purpose": "document", "size": 10})
    refused = (response.status_code, response.json()["message"])
    assert refused == (400, ["fileName: the extension must be .pdf for application/pdf"])
    assert UploadsRepository().select() == []


def test_nobody_else_sees_an_upload_until_it_is_shared(
    stack: RunningStack, auth: AuthEmulator, owner: AuthAccount, other: AuthAccount
) -> None:
    upload_id = uploaded(stack, owner, PDF_BYTES, "application/pdf")
    assert settled(stack, owner, upload_id) == "available"
    for path in (f"uploads/{upload_id}", f"uploads/{upload_id}/url", "uploads/unknown", "uploads/unknown/url"):
        response = api(stack, "GET", path, other)
        assert (response.status_code, response.json()["message"]) == (404, "UPLOAD NOT FOUND"), path
    assert api(stack, "GET", f"uploads/{upload_id}/url", None).status_code == 401
    assert api(stack, "POST", "uploads", None, json={}).status_code == 401

    # Attaching shares it with the readers (what messaging does when a message carries it).
    reader = make_user(auth, "reader@example.com")
    with UnitOfWork() as uow:
        attached = files.attach_in(uow, [upload_id], f"user-{owner.uid}", [f"user-{reader.uid}"])
    assert [a.model_dump(by_alias=True) for a in attached] == [
        {"uploadId": upload_id, "fileName": "notes.pdf", "contentType": "application/pdf", "size": len(PDF_BYTES)}
    ]
    link = api(stack, "GET", f"uploads/{upload_id}/url", reader)
    assert link.status_code == 200 and requests.get(link.json()["url"], timeout=30).content == PDF_BYTES
    assert api(stack, "GET", f"uploads/{upload_id}/url", other).status_code == 404
    assert api(stack, "GET", f"uploads/{upload_id}", reader).status_code == 404  # the record is the owner's


def test_only_the_owners_available_uploads_can_be_attached(
    stack: RunningStack, owner: AuthAccount, other: AuthAccount
) -> None:
    pending = start(stack, owner, "application/pdf", len(PDF_BYTES))["uploadId"]
    others = uploaded(stack, other, PDF_BYTES, "application/pdf")
    assert settled(stack, other, others) == "available"
    for upload_ids in ([pending], [others], ["missing"]):
        with pytest.raises(Exception, match="ATTACHMENT_NOT_AVAILABLE"), UnitOfWork() as uow:
            files.attach_in(uow, upload_ids, f"user-{owner.uid}", [f"user-{other.uid}"])
    stored = UploadsRepository().get(others)
    assert stored is not None and stored.reader_ids == []


def test_a_deleted_users_uploads_are_erased(stack: RunningStack, owner: AuthAccount, other: AuthAccount) -> None:
    mine = [uploaded(stack, owner, PNG_BYTES, "image/png") for _ in range(2)]
    theirs = uploaded(stack, other, PDF_BYTES, "application/pdf")
    for upload_id in mine:
        assert settled(stack, owner, upload_id) == "available"
    assert settled(stack, other, theirs) == "available"
    with UnitOfWork() as uow:
        files.attach_in(uow, [theirs], f"user-{other.uid}", [f"user-{owner.uid}"])
    gone = f"user-{owner.uid}"
    for _ in range(2):  # a retried event finds nothing left
        with UnitOfWork() as uow:
            uow.emit(USER_DELETED, UserDeleted(user_id=gone, deleted_at=utcnow().isoformat()))
    eventually(lambda: objects(stack), lambda names: names == [f"files/{theirs}"])
    eventually(lambda: [UploadsRepository().get(upload_id) for upload_id in mine], lambda found: found == [None, None])
    kept = eventually(
        lambda: UploadsRepository().get(theirs), lambda record: record is not None and not record.reader_ids
    )
    assert kept is not None and kept.owner_id == f"user-{other.uid}"
