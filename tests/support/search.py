"""Search over HTTP, as the frontend calls it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import requests

from infra.auth_emulator import AuthAccount
from infra.stack_runner import RunningStack
from tests.support.practice import P

ROUND_TRIPS = "X-Bloom-Firestore-Round-Trips"


def search_response(stack: RunningStack, account: AuthAccount | None, q: str, **params: Any) -> requests.Response:
    headers = account.headers if account is not None else {}
    query = urlencode({"q": q, **params})
    return requests.get(f"{stack.api}/v1/{P}/search?{query}", headers=headers, timeout=30)


def search(stack: RunningStack, account: AuthAccount, q: str, **params: Any) -> list[dict[str, Any]]:
    response = search_response(stack, account, q, **params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def found_ids(stack: RunningStack, account: AuthAccount, q: str, **params: Any) -> list[str]:
    return [item["id"] for item in search(stack, account, q, **params)]
