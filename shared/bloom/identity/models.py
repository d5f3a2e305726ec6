"""Passkeys, their single-use challenges and the AuthAudit record (stored shapes and rules, no I/O)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from bloom.core.models import CamelModel
from bloom.identity.schemas import AuthAuditAction

CHALLENGE_TTL = timedelta(minutes=5)
ChallengePurpose = Literal["register", "login"]


class PasskeyRecord(CamelModel):
    """Stored at `passkeys/{credentialId}` (base64url): one credential id, one passkey, by construction."""

    id: str
    user_id: str  # the Bloom user id
    auth_uid: str  # the Firebase uid the custom token is minted for
    public_key: str  # COSE key, base64url
    sign_count: int
    name: str | None = None
    transports: list[str] = []
    created_at: datetime
    last_used_at: datetime | None = None


class ChallengeRecord(CamelModel):
    """Stored at `passkeyChallenges/{challenge}` (32 random bytes, base64url): consumed once, in a transaction."""

    purpose: ChallengePurpose
    user_id: str | None  # who asked to register; None for a login (the passkey says who it is)
    expires_at: datetime

    def usable_for(self, purpose: ChallengePurpose, user_id: str | None, now: datetime) -> bool:
        return self.purpose == purpose and self.user_id == user_id and now < self.expires_at


class AuthAuditRecord(CamelModel):
    """Stored at `authAudit/{id}`, append-only: ids and reasons, never names, emails or key material."""

    action: AuthAuditAction
    actor_id: str | None
    subject_id: str | None
    at: datetime
    request_id: str | None
    details: dict[str, Any]


def counter_regressed(stored: int, presented: int) -> bool:
    """A signature counter that does not move forward (when the authenticator counts at all) means a cloned key."""
    return (stored > 0 or presented > 0) and presented <= stored
