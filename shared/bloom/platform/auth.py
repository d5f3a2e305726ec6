"""Firebase ID token verification and the caller's roles."""

from __future__ import annotations

import time
from typing import Any

from bloom.core.errors import Unauthorized
from bloom.core.settings import get_settings

MISSING_TOKEN = "Unauthorized: missing required Authorization token"  # noqa: S105 - an error message
TOKEN_EXPIRED = "ID_TOKEN_EXPIRED"  # noqa: S105 - an error code
INVALID_TOKEN = "INVALID_TOKEN"  # noqa: S105 - an error code
CLOCK_SKEW_S = 5


def assert_not_emulated_in_production() -> None:
    """A deployed function must never trust tokens from the Auth emulator."""
    settings = get_settings()
    if settings.deployed and settings.firebase_auth_emulator_host:
        raise RuntimeError("FIREBASE_AUTH_EMULATOR_HOST is set in a deployed function; refusing to start")


def bearer_token(headers: dict[str, str]) -> str:
    """API Gateway moves the caller's header to X-Forwarded-Authorization; read that first."""
    raw = headers.get("x-forwarded-authorization") or headers.get("authorization") or ""
    scheme, _, token = raw.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(MISSING_TOKEN)
    return token.strip()


def _firebase_app() -> Any:
    import firebase_admin

    try:
        return firebase_admin.get_app()
    except ValueError:
        return firebase_admin.initialize_app(options={"projectId": get_settings().project_id})


def verify_token(token: str) -> dict[str, Any]:
    from firebase_admin import auth

    try:
        claims: dict[str, Any] = auth.verify_id_token(token, app=_firebase_app(), clock_skew_seconds=CLOCK_SKEW_S)
    except auth.ExpiredIdTokenError as exc:
        raise Unauthorized(TOKEN_EXPIRED) from exc
    except (auth.InvalidIdTokenError, ValueError) as exc:
        raise Unauthorized(INVALID_TOKEN) from exc
    # firebase-admin skips every time check for Auth-emulator tokens; check expiry here too so the local
    # stack answers an expired token the way production does (the frontend refreshes on this 401).
    expires = claims.get("exp")
    if not isinstance(expires, int | float) or expires + CLOCK_SKEW_S < time.time():
        raise Unauthorized(TOKEN_EXPIRED)
    return claims
