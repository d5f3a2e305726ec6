"""One exchange with a third party's JSON API through the integrations' client, its failures sorted the same way
for every integration: worth retrying, refused for good, not found, or the access token refused.

`json_exchange` imports `requests` only when called, so a module using it costs nothing at cold start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bloom.platform.token_lease import TokenRejected


@dataclass(frozen=True)
class ApiFailures:
    """The integration's errors, each built from a message naming the step and the status (never a token, a
    URL's query or a body): `unavailable` for connection failures, timeouts, 429 and 5xx; `not_found` for 404;
    `refused` for any other 4xx and an answer that is not JSON."""

    unavailable: Callable[[str], Exception]
    refused: Callable[[str], Exception]
    not_found: Callable[[str], Exception]


def json_exchange(
    service: str,
    method: str,
    url: str,
    *,
    step: str,
    failures: ApiFailures,
    authorised: bool = False,
    idempotent_post: bool = False,
    **request: Any,
) -> Any:
    """The parsed JSON answer (None when empty), or raise. An `authorised` call answered 401 raises
    `TokenRejected` (for `TokenLease.call` to replace the token). `request` goes to `requests` (json, params,
    headers, auth); `idempotent_post` lets the client retry POST and PATCH too."""
    import requests

    from bloom.platform.http_client import integration_session

    try:
        with integration_session(service, idempotent_post=idempotent_post) as session:
            response = session.request(method, url, **request)
    except requests.RequestException as exc:  # the text may quote the URL: only the type is kept
        raise failures.unavailable(f"{step}: {type(exc).__name__}") from None
    status = response.status_code
    if status == 401 and authorised:
        raise TokenRejected
    if status == 429 or status >= 500:
        raise failures.unavailable(f"{step}: HTTP {status}")
    if status == 404:
        raise failures.not_found(f"{step}: HTTP {status}")
    if status >= 400:
        raise failures.refused(f"{step}: HTTP {status}")
    if not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        raise failures.refused(f"{step}: the answer is not JSON") from None
