"""Firebase ID token verification and the caller's roles."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from bloom.models.user import UserRecord
from bloom.registry import Role
from bloom.settings import get_settings
from bloom.toolkit.errors import Forbidden, Unauthorized

MISSING_TOKEN = "Unauthorized: missing required Authorization token"  # noqa: S105 - an error message
TOKEN_EXPIRED = "ID_TOKEN_EXPIRED"  # noqa: S105 - an error code
INVALID_TOKEN = "INVALID_TOKEN"  # noqa: S105 - an error code
USER_NOT_FOUND = "USER_NOT_FOUND"
CLOCK_SKEW_S = 5


@dataclass(frozen=True)
class Caller:
    auth_uid: str
    claims: dict[str, Any]
    user: UserRecord

    @property
    def has_second_factor(self) -> bool:
        firebase_claims = self.claims.get("firebase") or {}
        return bool(isinstance(firebase_claims, dict) and firebase_claims.get("sign_in_second_factor"))

    @property
    def is_super_admin(self) -> bool:
        return self.user.is_super_admin and self.claims.get("email_verified") is True and self.has_second_factor

    def has_role(self, role: Role) -> bool:
        if role in (Role.PUBLIC, Role.WEBHOOK, Role.USER):
            return True
        if role is Role.PARTNER_ADMIN:
            return self.user.is_partner_admin
        return self.is_super_admin


def assert_not_emulated_in_production() -> None:
    """A deployed function must never trust tokens from the Auth emulator."""
    if get_settings().deployed and os.environ.get("FIREBASE_AUTH_EMULATOR_HOST"):
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


def authenticate(headers: dict[str, str], role: Role) -> Caller | None:
    """Resolve the caller for a role: 401 for token problems or no Bloom user, 403 for a missing role."""
    if role in (Role.PUBLIC, Role.WEBHOOK):
        return None
    claims = verify_token(bearer_token(headers))
    from bloom.repositories.users import UsersRepository

    user = UsersRepository().get_by_auth_uid(str(claims["uid"]))
    if user is None or user.deleted_at is not None:
        raise Unauthorized(USER_NOT_FOUND)
    caller = Caller(auth_uid=str(claims["uid"]), claims=claims, user=user)
    if not caller.has_role(role):
        raise Forbidden()
    return caller
