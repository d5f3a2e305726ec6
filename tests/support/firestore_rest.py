"""The Firestore emulator's REST API called as a web client calls it (an Auth-emulator ID token as Bearer), so
that the security rules (`firestore.rules`) judge each call: the status each answered."""

from __future__ import annotations

from typing import Any

import requests

from infra.auth_emulator import AuthAccount
from infra.stack_runner import RunningStack


def url(stack: RunningStack, path: str) -> str:
    return f"{stack.firestore}/v1/projects/{stack.project}/databases/(default)/documents/{path}"


def get(stack: RunningStack, account: AuthAccount | None, path: str) -> int:
    headers = account.headers if account is not None else {}
    return requests.get(url(stack, path), headers=headers, timeout=10).status_code


def write(stack: RunningStack, account: AuthAccount, path: str, fields: dict[str, Any]) -> int:
    """Create or replace the document (PATCH without a mask), as `setDoc` does."""
    return requests.patch(url(stack, path), json={"fields": fields}, headers=account.headers, timeout=10).status_code


def list_documents(stack: RunningStack, account: AuthAccount | None, collection: str) -> int:
    """A query over the whole collection (`runQuery`), as a web listener on the collection makes."""
    headers = account.headers if account is not None else {}
    query = {"structuredQuery": {"from": [{"collectionId": collection}]}}
    base = f"{stack.firestore}/v1/projects/{stack.project}/databases/(default)/documents:runQuery"
    return requests.post(base, json=query, headers=headers, timeout=10).status_code
