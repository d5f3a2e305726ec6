"""Credentialing over HTTP for tests: a therapist's documents (a real PDF upload, checked by the finalize step,
then described) and applications, as the frontend makes them."""

from __future__ import annotations

from typing import Any

import requests

from infra.auth_emulator import AuthAccount
from infra.stack_runner import RunningStack
from tests.support.files import PDF_BYTES, settled, uploaded

C = "credentialing"


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
