"""Firebase: the one firebase_admin app of the process, and ID token verification."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from bloom.core.errors import ErrorCatalogue
from bloom.core.settings import get_settings

ERRORS = ErrorCatalogue("auth")
MISSING_TOKEN = ERRORS.declare(401, "Unauthorized: missing required Authorization token")
TOKEN_EXPIRED = ERRORS.declare(401, "ID_TOKEN_EXPIRED")
INVALID_TOKEN = ERRORS.declare(401, "INVALID_TOKEN")
FORBIDDEN = ERRORS.declare(403, "Forbidden")
CLOCK_SKEW_S = 5
_app_lock = threading.Lock()


def assert_not_emulated_in_production() -> None:
    """A deployed function must never trust tokens from the Auth emulator."""
    settings = get_settings()
    if settings.deployed and settings.firebase_auth_emulator_host:
        raise RuntimeError("FIREBASE_AUTH_EMULATOR_HOST is set in a deployed function; refusing to start")


def bearer_token(headers: Mapping[str, str]) -> str:
    """API Gateway moves the caller's header to X-Forwarded-Authorization; read that first."""
    raw = headers.get("x-forwarded-authorization") or headers.get("authorization") or ""
    scheme, _, token = raw.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise MISSING_TOKEN.error()
    return token.strip()


def firebase_app() -> Any:
    """The default firebase_admin app (token verification and account management), created once per process."""
    import firebase_admin

    with _app_lock:
        try:
            return firebase_admin.get_app()
        except ValueError:
            return firebase_admin.initialize_app(options={"projectId": get_settings().project_id})


def verify_token(token: str) -> dict[str, Any]:
    """The token's claims; 401 for an expired or invalid token."""
    from firebase_admin import auth

    try:
        claims: dict[str, Any] = auth.verify_id_token(token, app=firebase_app(), clock_skew_seconds=CLOCK_SKEW_S)
    except auth.ExpiredIdTokenError as exc:
        raise TOKEN_EXPIRED.error() from exc
    except (auth.InvalidIdTokenError, ValueError) as exc:
        raise INVALID_TOKEN.error() from exc
    # firebase-admin skips every time check for Auth-emulator tokens; check expiry here too so the local
    # stack answers an expired token the way production does (the frontend refreshes on this 401).
    expires = claims.get("exp")
    if not isinstance(expires, int | float) or expires + CLOCK_SKEW_S < time.time():
        raise TOKEN_EXPIRED.error()
    return claims
