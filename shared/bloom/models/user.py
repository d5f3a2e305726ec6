"""The Bloom user as stored at `users/{authUid}`.

Besides the user's own fields, the document carries the ids a profile needs (accesses, partners, started
content), so `GET user/me` is two round trips: this document (read while authenticating) and one batched
read of everything it points to. Services that change those links update these lists in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from bloom.models.base import CamelModel


class PartnerAdminSummary(CamelModel):
    """Denormalised onto the user so role checks need no extra read."""

    id: str
    partner_id: str
    active: bool
    partner_active: bool


class UserRecord(CamelModel):
    id: str
    email: str
    is_super_admin: bool = False
    is_active: bool = True
    deleted_at: datetime | None = None
    partner_admin: PartnerAdminSummary | None = None
    partner_access_ids: list[str] = Field(default_factory=list)
    partner_ids: list[str] = Field(default_factory=list)
    course_ids: list[str] = Field(default_factory=list)
    resource_ids: list[str] = Field(default_factory=list)
    # The user's own profile fields (accounts area). Defaults keep older or partial documents readable.
    name: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_active_at: datetime | None = None
    sign_up_language: str | None = None
    email_reminders_frequency: str = "NEVER"
    contact_permission: bool = False
    service_emails_permission: bool = True
    crisp_token_id: str | None = None

    @property
    def is_partner_admin(self) -> bool:
        admin = self.partner_admin
        return admin is not None and admin.active and admin.partner_active
