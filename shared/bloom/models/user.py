"""The parts of a Bloom user that authorisation needs."""

from __future__ import annotations

from datetime import datetime

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

    @property
    def is_partner_admin(self) -> bool:
        admin = self.partner_admin
        return admin is not None and admin.active and admin.partner_active
