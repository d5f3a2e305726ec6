"""Partners, features, partner admins and partner accesses: the stored records and the rules that need no I/O
(the API shapes are in `schemas`).

Storage layout (one collection each; ids are UUID v4 unless noted):
- `partners/{id}` — PartnerRecord, with its partner features EMBEDDED (kept in sync in the same transaction
  as partner-feature changes) so a Partner is one document read;
- `partnerNames/{sha256 of the case-folded name}` — NameClaim: uniqueness of partner names, case-insensitive;
- `features/{id}`, `featureNames/{sha256 of the name}` — FeatureRecord and its uniqueness claim;
- `partnerFeatures/{id}` — PartnerFeatureRecord (lookup by id for PATCH);
- `partnerAdmins/{id}` — PartnerAdminRecord (keyed to the PUBLIC user id);
- `partnerAccesses/{id}` — PartnerAccessRecord (keyed to the PUBLIC user id once assigned);
- `accessCodes/{CODE}` — AccessCodeClaim: the code IS the document id, so codes are unique by construction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from bloom.core.models import CamelModel
from bloom.partners.codes import CodeFacts
from bloom.partners.schemas import (
    DEFAULT_THERAPY_SESSIONS_CAP,
    FeatureOut,
    PartnerAccessOut,
    PartnerAdminOut,
    PartnerFeatureOut,
    PartnerOut,
)
from bloom.users.schemas import PartnerAdminSummary


def name_key(name: str) -> str:
    """Partner names are unique and looked up case-insensitively."""
    return name.casefold()


class FeatureRecord(CamelModel):
    id: str
    name: str
    created_at: datetime
    updated_at: datetime


class PartnerFeatureRecord(CamelModel):
    id: str
    partner_id: str
    feature_id: str
    feature_name: str
    active: bool
    created_at: datetime
    updated_at: datetime


class NameClaim(CamelModel):
    """`partnerNames/{hash}` or `featureNames/{hash}`: the name's uniqueness claim.

    A partner's claim also carries a copy of its AUTOMATIC_ACCESS_CODE partner feature (kept current with the
    partner's features), so the lookup by partner name is one read.
    """

    owner_id: str
    automatic_access: PartnerFeatureRecord | None = None


class PartnerRecord(CamelModel):
    id: str
    name: str
    name_key: str
    is_active: bool = True
    therapy_sessions_cap: int = DEFAULT_THERAPY_SESSIONS_CAP
    features: list[PartnerFeatureRecord] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime

    def active_feature(self, feature_name: str) -> PartnerFeatureRecord | None:
        return next((f for f in self.features if f.feature_name == feature_name and f.active), None)

    def feature_named(self, feature_name: str) -> PartnerFeatureRecord | None:
        return next((f for f in self.features if f.feature_name == feature_name), None)


class PartnerAdminRecord(CamelModel):
    id: str
    user_id: str  # the PUBLIC user id
    partner_id: str
    active: bool = True
    # True only while the partner's deactivation is what made this admin inactive (restored on reactivation).
    deactivated_with_partner: bool = False
    created_at: datetime
    updated_at: datetime


class PartnerAccessRecord(CamelModel):
    id: str
    partner_id: str
    partner_admin_id: str | None = None
    user_id: str | None = None  # the PUBLIC user id, once assigned
    holder_uid: str | None = None  # and their account: the user document whose profile projection copies this
    access_code: str | None = None
    active: bool = True
    feature_live_chat: bool
    feature_therapy: bool
    therapy_sessions_remaining: int
    therapy_sessions_redeemed: int
    activated_at: datetime | None = None
    released_at: datetime | None = None  # its user was erased; the record stays for the partner's counts
    deactivated_with_partner: bool = False
    created_at: datetime
    updated_at: datetime

    def code_facts(self, partner: PartnerRecord | None) -> CodeFacts:
        return CodeFacts(
            active=self.active,
            partner_active=partner is not None and partner.is_active,
            assigned_user_id=self.user_id,
            redeemed=self.user_id is not None or self.released_at is not None,
            created_at=self.created_at,
        )


class PartnerCatalogue(CamelModel):
    """`catalogues/partners`: every partner as stored (features embedded), rewritten entry by entry in the
    transactions that change a partner. Read with the caller's user document, it gives the profile its partners."""

    partners: dict[str, PartnerRecord] = Field(default_factory=dict)


class AccessCodeClaim(CamelModel):
    """`accessCodes/{CODE}`: the code's uniqueness claim, and a copy of its access and partner as they are now.

    Checking or redeeming a code is then one read. Every transaction that changes the access (assignment,
    counters, activation), or its partner (activation, cap, features), rewrites the copy with the change.
    """

    partner_access_id: str
    partner_id: str
    created_at: datetime
    access: PartnerAccessRecord
    partner: PartnerRecord


def feature_out(record: FeatureRecord) -> FeatureOut:
    return FeatureOut(id=record.id, name=record.name)


def partner_feature_out(record: PartnerFeatureRecord) -> PartnerFeatureOut:
    return PartnerFeatureOut(
        id=record.id,
        partner_id=record.partner_id,
        feature_id=record.feature_id,
        active=record.active,
        feature=FeatureOut(id=record.feature_id, name=record.feature_name),
    )


def partner_out(record: PartnerRecord) -> PartnerOut:
    return PartnerOut(
        id=record.id,
        name=record.name,
        is_active=record.is_active,
        partner_feature=[partner_feature_out(f) for f in record.features],
    )


def partner_admin_out(record: PartnerAdminRecord, partner: PartnerRecord) -> PartnerAdminOut:
    return PartnerAdminOut(
        id=record.id,
        active=record.active,
        created_at=record.created_at,
        updated_at=record.updated_at,
        partner=partner_out(partner),
    )


def partner_access_out(record: PartnerAccessRecord, partner: PartnerRecord) -> PartnerAccessOut:
    return PartnerAccessOut(
        id=record.id,
        created_at=record.created_at,
        updated_at=record.updated_at,
        activated_at=record.activated_at,
        feature_live_chat=record.feature_live_chat,
        feature_therapy=record.feature_therapy,
        access_code=record.access_code,
        active=record.active,
        therapy_sessions_remaining=record.therapy_sessions_remaining,
        therapy_sessions_redeemed=record.therapy_sessions_redeemed,
        partner=partner_out(partner),
    )


def admin_summary(admin: PartnerAdminRecord, partner: PartnerRecord) -> PartnerAdminSummary:
    """What the admin's user document carries so the role check needs no extra read."""
    return PartnerAdminSummary(
        id=admin.id,
        partner_id=admin.partner_id,
        active=admin.active,
        partner_active=partner.is_active,
        created_at=admin.created_at,
        updated_at=admin.updated_at,
    )


def oldest_therapy_access(accesses: list[PartnerAccessRecord]) -> PartnerAccessRecord | None:
    """The charging rule: of the active accesses with therapy and sessions left, the oldest (`createdAt`)."""
    eligible = [a for a in accesses if a.active and a.feature_therapy and a.therapy_sessions_remaining > 0]
    return min(eligible, key=lambda a: (a.created_at, a.id), default=None)


def therapy_sessions_problem(remaining: int, cap: int) -> str | None:
    """therapySessionsRemaining must lie within 0..cap (the cap is a partner setting, 6 by default)."""
    if remaining < 0:
        return "therapySessionsRemaining must not be less than 0"
    if remaining > cap:
        return f"therapySessionsRemaining must not be greater than {cap}"
    return None


def deactivation_changes(active_flags: dict[str, bool]) -> dict[str, dict[str, Any]]:
    """Deactivating a partner: every ACTIVE admin/access becomes inactive and remembers why.

    Input: id → active. Output: id → the fields to change (model field names; only the records that change).
    """
    return {
        item_id: {"active": False, "deactivated_with_partner": True}
        for item_id, active in active_flags.items()
        if active
    }


def reactivation_changes(marked: dict[str, bool]) -> dict[str, dict[str, Any]]:
    """Reactivating a partner: only what the deactivation switched off comes back on.

    Input: id → deactivated_with_partner. Output: id → the fields to change (model field names).
    """
    return {
        item_id: {"active": True, "deactivated_with_partner": False}
        for item_id, was_switched_off in marked.items()
        if was_switched_off
    }
