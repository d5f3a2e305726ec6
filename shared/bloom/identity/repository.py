"""Passkeys, challenges and AuthAudit in Firestore."""

from __future__ import annotations

from bloom.identity.models import AuthAuditRecord, ChallengeRecord, PasskeyRecord
from bloom.platform.store.indexes import ttl_field
from bloom.platform.store.repository import Filter, Repository
from bloom.platform.store.unit_of_work import UnitOfWork, repository

CHALLENGES = "passkeyChallenges"
ttl_field(CHALLENGES, "expiresAt")  # unused challenges go by themselves; a used one is deleted when consumed


class PasskeysRepository(Repository[PasskeyRecord]):
    collection_name = "passkeys"
    model = PasskeyRecord

    def of_user(self, user_id: str) -> list[PasskeyRecord]:
        return [item for _, item in self.select([Filter("userId", "==", user_id)], limit=100)]


class ChallengesRepository(Repository[ChallengeRecord]):
    collection_name = CHALLENGES
    model = ChallengeRecord


class AuthAuditRepository(Repository[AuthAuditRecord]):
    collection_name = "authAudit"
    model = AuthAuditRecord

    def about(self, subject_id: str) -> list[AuthAuditRecord]:
        return [item for _, item in self.select([Filter("subjectId", "==", subject_id)])]


class IdentityWork(UnitOfWork):
    passkeys = repository(PasskeysRepository)
    challenges = repository(ChallengesRepository)
    auth_audit = repository(AuthAuditRepository)
