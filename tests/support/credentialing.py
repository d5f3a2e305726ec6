"""Credentialing over HTTP for tests: a therapist's documents (a real PDF upload, checked by the finalize step,
then described) and applications, as the frontend makes them; and records seeded for the daily job's tests."""

from __future__ import annotations

from datetime import date
from typing import Any

import requests

from bloom.core.time import utcnow
from bloom.credentialing.models import ApplicationRecord, DocumentRecord
from bloom.credentialing.repository import ApplicationsRepository, DocumentsRepository
from bloom.credentialing.schemas import ApplicationStatus, DocumentKind
from bloom.files.schemas import PDF
from infra.auth_emulator import AuthAccount
from infra.stack_runner import RunningStack
from tests.support.files import PDF_BYTES, settled, uploaded
from tests.support.pdfs import text_pdf
from tests.support.wait import eventually

C = "practice/credentialing"


def api(
    stack: RunningStack, method: str, path: str, account: AuthAccount | None, body: dict[str, Any] | None = None
) -> requests.Response:
    headers = account.headers if account is not None else {}
    return requests.request(method, f"{stack.api}/v1/{C}/{path}", json=body, headers=headers, timeout=30)


def checked_upload(stack: RunningStack, account: AuthAccount) -> str:
    """A PDF the account uploaded, once the finalize check made it available."""
    upload_id = uploaded(stack, account, PDF_BYTES, "application/pdf", purpose="document", fileName="credential.pdf")
    assert settled(stack, account, upload_id) == "available"
    return upload_id


def add_document(stack: RunningStack, account: AuthAccount, kind: str, **fields: Any) -> dict[str, Any]:
    """A document of `kind` on file for the account (other fields as the API names them: `expiresOn`, …)."""
    body = {"uploadId": checked_upload(stack, account), "kind": kind, **fields}
    response = api(stack, "POST", "documents", account, body)
    assert response.status_code == 201, response.text
    document: dict[str, Any] = response.json()
    return document


def seed_document(doc_id: str, owner: str, kind: DocumentKind, expires_on: date | None) -> DocumentRecord:
    """A document stored as the API stores one (for job tests: no upload needed), whose owner's inbox is `owner` (a
    Firebase uid) and whose owner is `user-{owner}` (as `make_user` names users)."""
    now = utcnow()
    record = DocumentRecord(
        id=doc_id,
        owner_id=f"user-{owner}",
        owner_uid=owner,
        upload_id=f"upload-{doc_id}",
        file_name="credential.pdf",
        kind=kind,
        number=None,
        issuer=None,
        state=None,
        expires_on=expires_on,
        created_at=now,
        updated_at=now,
    )
    DocumentsRepository().save(doc_id, record)
    return record


def seed_application(
    app_id: str,
    owner: str,
    status: ApplicationStatus,
    *,
    follow_up_on: date | None = None,
    expires_on: date | None = None,
    owner_id: str | None = None,
) -> ApplicationRecord:
    """An application stored as the API stores one, owned as `seed_document`'s documents are (or by `owner_id`);
    without requirements (a draft's checklist is empty, so it can be submitted)."""
    now = utcnow()
    record = ApplicationRecord(
        id=app_id,
        owner_id=owner_id or f"user-{owner}",
        owner_uid=owner,
        therapist_id=f"profile-{owner}",
        payer="northwind",
        state="US-NY",
        status=status,
        requirements=[],
        submitted_checklist=None if status == "draft" else [],
        follow_up_on=follow_up_on,
        expires_on=expires_on,
        history=[],
        created_at=now,
        updated_at=now,
    )
    ApplicationsRepository().save(app_id, record)
    return record


def requirements_source(
    stack: RunningStack, admin: AuthAccount, sentences: list[str], payer: str = "northwind", state: str = "US-NY"
) -> str:
    """A payer's requirements PDF (one page of `sentences`) added by a practice admin and ingested by the real
    subscriber; returns the source's id."""
    upload_id = uploaded(stack, admin, text_pdf([" ".join(sentences)]), PDF, purpose="document", fileName="guide.pdf")
    assert settled(stack, admin, upload_id) == "available"
    body = {"uploadId": upload_id, "payer": payer, "state": state, "title": f"{payer} guide"}
    created = api(stack, "POST", "sources", admin, body)
    assert created.status_code == 201, created.text
    source_id = str(created.json()["id"])

    def status() -> str:
        [found] = [s for s in api(stack, "GET", "sources", admin).json()["items"] if s["id"] == source_id]
        return str(found["status"])

    assert eventually(status, lambda s: s in ("ingested", "failed"), timeout_s=180) == "ingested"
    return source_id
