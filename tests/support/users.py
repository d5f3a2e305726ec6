"""Signed-in Bloom users for tests that need one before the accounts endpoints are involved."""

from __future__ import annotations

from typing import Any

from bloom.users.repository import UsersRepository
from bloom.users.schemas import UserRecord
from infra.auth_emulator import AuthAccount, AuthEmulator


def make_user(auth: AuthEmulator, email: str, **fields: Any) -> AuthAccount:
    """An Auth-emulator account with a Bloom user record (fields in their camelCase stored names)."""
    account = auth.sign_up(email)
    record = UserRecord.model_validate({"id": f"user-{account.uid}", "email": email, **fields})
    UsersRepository().save(account.uid, record)
    return account


# The keys of `user` in every profile response (`GET user/me`, signup, `PATCH user`).
USER_KEYS = {
    "id",
    "createdAt",
    "updatedAt",
    "deletedAt",
    "name",
    "email",
    "isActive",
    "lastActiveAt",
    "isSuperAdmin",
    "signUpLanguage",
    "emailRemindersFrequency",
    "contactPermission",
    "serviceEmailsPermission",
    "crispTokenId",
}
