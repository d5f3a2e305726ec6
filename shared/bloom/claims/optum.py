"""Optum Medical Network: OAuth2 client credentials, Eligibility v3, Professional Claims v3, Claim Status v2.

Settings: `OPTUM_API_URL` (default `https://apigw.optum.com`; sandbox `https://sandbox-apigw.optum.com`) and the
secrets `OPTUM_CLIENT_ID`, `OPTUM_CLIENT_SECRET`. The token comes from `POST {OPTUM_API_URL}/apip/auth/v2/token`
(a JSON body with the client credentials) and is cached for every instance (`bloom.platform.token_lease`,
`cachedTokens/optum`) until five minutes before its `expires_in`; a call answered 401 drops it and is tried once
more with a fresh one. Optum answers a payer's or the clearinghouse's rejection as 200 with `errors`: those answers
are returned as they are, for the rules of `bloom.claims.models` to summarise. Nothing here logs a body.
"""

from __future__ import annotations

from typing import Any

from bloom.core.settings import DEFAULT_OPTUM_API_URL, get_settings
from bloom.platform.token_lease import IssuedToken, TokenLease, TokenRejected, oauth_token

TOKEN_PATH = "/apip/auth/v2/token"  # noqa: S105 (a path, not a secret)
ELIGIBILITY_PATH = "/medicalnetwork/eligibility/v3/"
SUBMISSION_PATH = "/medicalnetwork/professionalclaims/v3/submission"
CLAIM_STATUS_PATH = "/medicalnetwork/claimstatus/v2/"
SECRETS = ("OPTUM_CLIENT_ID", "OPTUM_CLIENT_SECRET")  # declared by the functions that call Optum


class OptumUnavailable(Exception):
    """Optum could not be reached, or answered 429 or 5xx: try again later."""


class OptumRefused(Exception):
    """Optum refused the request (4xx), or the credentials are missing or wrong."""


def _base() -> str:
    return get_settings().optum_api_url.rstrip("/")


def usage_indicator() -> str:
    """ISA15: "P" (production) against Optum's production gateway, "T" (test) anywhere else."""
    return "P" if _base() == DEFAULT_OPTUM_API_URL else "T"


def _secret(name: str) -> str:
    value = get_settings().secret(name)
    if value is None:
        raise OptumRefused(f"{name} is not configured")
    return value


def _post(path: str, body: dict[str, Any], step: str, *, token: str | None, idempotent: bool) -> dict[str, Any]:
    """One exchange: the JSON object Optum answered with 200, or raise. 401 with a token raises `TokenRejected`."""
    import requests

    from bloom.platform.http_client import integration_session

    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    try:
        with integration_session("optum", idempotent_post=idempotent) as session:
            response = session.post(f"{_base()}{path}", json=body, headers=headers)
    except requests.RequestException as exc:  # the text may quote the URL: only the type is kept
        raise OptumUnavailable(f"{step}: {type(exc).__name__}") from None
    status = response.status_code
    if status == 401 and token is not None:
        raise TokenRejected
    if status == 429 or status >= 500:
        raise OptumUnavailable(f"{step}: HTTP {status}")
    if status >= 400:
        raise OptumRefused(f"{step}: HTTP {status}")
    try:
        answer = response.json()
    except ValueError:
        raise OptumRefused(f"{step}: the answer is not JSON") from None
    if not isinstance(answer, dict):
        raise OptumRefused(f"{step}: the answer is not a JSON object")
    return answer


def _issue_token() -> IssuedToken:
    body = {
        "client_id": _secret("OPTUM_CLIENT_ID"),
        "client_secret": _secret("OPTUM_CLIENT_SECRET"),
        "grant_type": "client_credentials",
    }
    answer = _post(TOKEN_PATH, body, "optum token", token=None, idempotent=True)
    return oauth_token(answer, "optum", refused=OptumRefused)


TOKEN = TokenLease("optum", _issue_token, unavailable=OptumUnavailable, refused=OptumRefused)


def _api(path: str, body: dict[str, Any], step: str, *, idempotent: bool) -> dict[str, Any]:
    return TOKEN.call(lambda token: _post(path, body, step, token=token, idempotent=idempotent))


def check_eligibility(request: dict[str, Any]) -> dict[str, Any]:
    """Eligibility v3 (a 270/271 as JSON): the raw answer, for the caller to summarise and drop."""
    return _api(ELIGIBILITY_PATH, request, "optum eligibility", idempotent=True)


def submit_claim(request: dict[str, Any]) -> dict[str, Any]:
    """Professional Claims v3 submission (an 837P as JSON). Not retried once it may have been received."""
    return _api(SUBMISSION_PATH, request, "optum claim submission", idempotent=False)


def claim_status(request: dict[str, Any]) -> dict[str, Any]:
    """Claim Status v2 (a 276/277 as JSON)."""
    return _api(CLAIM_STATUS_PATH, request, "optum claim status", idempotent=True)
