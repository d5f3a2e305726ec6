"""The support console over HTTP, as the frontend uses it: tickets, comments and the admin's changes."""

from __future__ import annotations

from typing import Any

import requests

from infra.auth_emulator import AuthAccount
from infra.stack_runner import RunningStack

TICKETS = "practice/support/tickets"
ADMIN_USERS = "practice/admin/users"


def api(stack: RunningStack, method: str, path: str, account: AuthAccount | None, **kwargs: Any) -> requests.Response:
    headers = account.headers if account is not None else {}
    return requests.request(method, f"{stack.api}/v1/{path}", headers=headers, timeout=30, **kwargs)


def open_ticket(stack: RunningStack, account: AuthAccount, **fields: Any) -> dict[str, Any]:
    body = {"subject": "I cannot sign in", "body": "The app says my password is wrong", "category": "account", **fields}
    response = api(stack, "POST", TICKETS, account, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def comment(stack: RunningStack, account: AuthAccount, ticket_id: str, text: str, *, internal: bool = False) -> int:
    body = {"body": text, "internal": internal}
    return api(stack, "POST", f"{TICKETS}/{ticket_id}/comments", account, json=body).status_code


def queue(stack: RunningStack, account: AuthAccount, query: str = "") -> list[str]:
    """Every page of the caller's list (two tickets a page, following the cursors): ticket ids in order."""
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params = f"{query}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        response = api(stack, "GET", f"{TICKETS}?{params.lstrip('&')}", account)
        assert response.status_code == 200, response.text
        page = response.json()
        ids += [item["id"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            return ids
