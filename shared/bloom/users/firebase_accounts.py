"""Firebase Auth accounts (firebase_admin.auth): create, change the email of, find, disable and delete an account.

Firebase's own errors are mapped to the API contract's messages (`CREATE_USER_*`, `UPDATE_USER_*`) here, once.
Exception texts from firebase_admin can contain the email address: they are never logged or passed on.
"""

from __future__ import annotations

from bloom.core.logging import get_logger
from bloom.platform.auth import firebase_app
from bloom.platform.store.request_checks import settle_checks
from bloom.users import errors

_log = get_logger(__name__)


def _kind(exc: Exception) -> str:
    """What went wrong, from the exception's type and Firebase's error code (never its free text)."""
    from firebase_admin import auth

    if isinstance(exc, auth.EmailAlreadyExistsError):
        return "exists"
    text = str(exc).upper()
    if isinstance(exc, ValueError):
        # firebase_admin's own argument checks, made before any request.
        return "password" if "PASSWORD" in text else "email" if "EMAIL" in text else "other"
    if "INVALID_EMAIL" in text:
        return "email"
    if "WEAK_PASSWORD" in text or "INVALID_PASSWORD" in text:
        return "password"
    if "EMAIL_EXISTS" in text or "DUPLICATE_EMAIL" in text:
        return "exists"
    return "other"


def create_account(email: str, password: str) -> str:
    """Create an email/password account; returns its uid. Raises BadRequest with a CREATE_USER_* message."""
    from firebase_admin import auth, exceptions

    try:
        settle_checks()  # a signup refused by its rate limit creates no account
        record = auth.create_user(email=email, password=password, app=firebase_app())
    except (ValueError, exceptions.FirebaseError) as exc:
        kind = _kind(exc)
        if kind == "other":
            _log.warning("firebase account creation failed", extra={"errorType": type(exc).__name__})
        failure = {
            "exists": errors.CREATE_USER_ALREADY_EXISTS,
            "email": errors.CREATE_USER_INVALID_EMAIL,
            "password": errors.CREATE_USER_WEAK_PASSWORD,
        }.get(kind, errors.CREATE_USER_FIREBASE_ERROR)
        raise failure.error() from None
    uid: str = record.uid
    return uid


def uid_for_email(email: str) -> str | None:
    """The uid of the account with this email, or None when there is none."""
    from firebase_admin import auth

    try:
        record = auth.get_user_by_email(email, app=firebase_app())
    except auth.UserNotFoundError:
        return None
    uid: str = record.uid
    return uid


def update_email(uid: str, email: str) -> None:
    """Change an account's email (idempotent: setting the address it already has is fine).

    The new address is not verified yet, so the account's `email_verified` is reset. Raises BadRequest with an
    UPDATE_USER_* message.
    """
    from firebase_admin import auth, exceptions

    try:
        settle_checks()
        auth.update_user(uid, email=email, email_verified=False, app=firebase_app())
    except (ValueError, exceptions.FirebaseError) as exc:
        kind = _kind(exc)
        if kind == "exists" and uid_for_email(email) == uid:
            return
        if kind == "other":
            _log.warning("firebase email update failed", extra={"errorType": type(exc).__name__})
        failure = {"exists": errors.UPDATE_USER_ALREADY_EXISTS, "email": errors.UPDATE_USER_INVALID_EMAIL}.get(
            kind, errors.UPDATE_USER_FIREBASE_ERROR
        )
        raise failure.error() from None


def is_email_verified(uid: str) -> bool:
    from firebase_admin import auth

    verified: bool = auth.get_user(uid, app=firebase_app()).email_verified
    return verified


def mark_email_verified(uid: str) -> None:
    """Mark the account's email as verified (demo accounts on a local stack; real users verify by email)."""
    from firebase_admin import auth

    settle_checks()
    auth.update_user(uid, email_verified=True, app=firebase_app())


def set_disabled(uid: str, disabled: bool) -> None:
    """Disable (and revoke the refresh tokens of) or enable an account; an account already gone is left alone."""
    from firebase_admin import auth

    try:
        settle_checks()
        auth.update_user(uid, disabled=disabled, app=firebase_app())
        if disabled:
            auth.revoke_refresh_tokens(uid, app=firebase_app())
    except auth.UserNotFoundError:
        return


def delete_account(uid: str) -> bool:
    """Delete an account; returns False when it was already gone (so a retried deletion goes on)."""
    from firebase_admin import auth

    try:
        settle_checks()
        auth.delete_user(uid, app=firebase_app())
    except auth.UserNotFoundError:
        return False
    return True
