"""Bloom users, stored at `users/{authUid}` so the caller's record is one read away from a verified token."""

from __future__ import annotations

from bloom.models.user import UserRecord
from bloom.store.repository import Repository


class UsersRepository(Repository[UserRecord]):
    collection_name = "users"
    model = UserRecord

    def get_by_auth_uid(self, auth_uid: str) -> UserRecord | None:
        return self.get(auth_uid)
