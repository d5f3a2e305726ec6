"""Users: profile changes, super-admin grants and erasure, and the writes other areas make to a user's document."""

from __future__ import annotations

from typing import Any

from bloom.core.errors import NotFound
from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.platform.store.unit_of_work import UnitOfWork, run_in_transaction
from bloom.users import firebase_accounts
from bloom.users.events import USER_DELETED, UserDeleted
from bloom.users.repository import UsersRepository
from bloom.users.schemas import AdminUpdateUser, DeletedUser, UpdateUser, UserOut, UserRecord, user_out

USER_NOT_FOUND = "USER NOT FOUND"
_log = get_logger(__name__)


def _users() -> UsersRepository:
    return UsersRepository()


def update_me(auth_uid: str, user: UserRecord, body: UpdateUser) -> UserOut:
    return _update(auth_uid, user, body.changes())


def admin_update(user_id: str, body: AdminUpdateUser) -> UserOut:
    found = _users().find_by_public_id(user_id)
    if found is None:
        raise NotFound(USER_NOT_FOUND)
    auth_uid, user = found
    return _update(auth_uid, user, body.changes())


def _update(auth_uid: str, current: UserRecord, changes: dict[str, Any]) -> UserOut:
    """Firebase first for an email change (so the login and the record never disagree for long), then the record."""
    email = changes.get("email")
    if email is not None and email != current.email:
        firebase_accounts.update_email(auth_uid, str(email))

    def work(unit: UnitOfWork) -> UserRecord:
        stored = _users().get(auth_uid, transaction=unit.transaction)
        if stored is None:
            raise NotFound(USER_NOT_FOUND)
        fields = {**changes, "updated_at": utcnow()}
        _users().update_fields(unit, auth_uid, fields)
        return stored.model_copy(update=fields)

    updated = run_in_transaction(work)
    _log.info("user updated", extra={"userId": updated.id, "fields": sorted(changes)})
    return user_out(updated)


def grant_super_admin(email: str) -> UserOut:
    """Set isSuperAdmin on an existing user (dev CLI, seed). They still need a verified email and MFA."""
    found = _users().find_by_email(email)
    if found is None:
        raise NotFound(USER_NOT_FOUND)
    auth_uid, user = found
    if user.is_super_admin:
        return user_out(user)
    return _update(auth_uid, user, {"is_super_admin": True})


def delete_me(auth_uid: str, user: UserRecord) -> DeletedUser:
    return erase(auth_uid, user.id)


def delete_by_id(user_id: str) -> DeletedUser:
    found = _users().find_by_public_id(user_id)
    if found is None:
        raise NotFound(USER_NOT_FOUND)
    return erase(found[0], user_id)


def erase(auth_uid: str, user_id: str) -> DeletedUser:
    """Firebase account, then the user document and USER_DELETED in one transaction. Idempotent."""
    account_existed = firebase_accounts.delete_account(auth_uid)

    def work(unit: UnitOfWork) -> bool:
        stored = _users().get(auth_uid, transaction=unit.transaction)
        if stored is None:
            return False
        _users().delete(unit, auth_uid)
        unit.emit(USER_DELETED, UserDeleted(user_id=stored.id, deleted_at=utcnow().isoformat()))
        return True

    document_existed = run_in_transaction(work)
    _log.info(
        "user deleted",
        extra={"userId": user_id, "accountDeleted": account_existed, "documentDeleted": document_existed},
    )
    return DeletedUser(id=user_id)
