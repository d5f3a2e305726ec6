"""What the partners area shows callers and other areas: request bodies and partner, feature, admin, access views."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from pydantic import Field, StrictBool, StrictInt, field_validator

from bloom.core.models import CamelModel, RequestModel

NAME_MAX = 50
AUTOMATIC_ACCESS_CODE = "AUTOMATIC_ACCESS_CODE"
DEFAULT_THERAPY_SESSIONS_CAP = 6
MAX_THERAPY_SESSIONS_CAP = 100
MAX_SESSIONS_SET_BY_THE_TEAM = 50


class CreatePartner(RequestModel):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    therapy_sessions_cap: StrictInt | None = Field(default=None, ge=0, le=MAX_THERAPY_SESSIONS_CAP)


class UpdatePartner(RequestModel):
    active: StrictBool
    therapy_sessions_cap: StrictInt | None = Field(default=None, ge=0, le=MAX_THERAPY_SESSIONS_CAP)


class CreateFeature(RequestModel):
    name: str = Field(min_length=1, max_length=NAME_MAX)


class CreatePartnerFeature(RequestModel):
    partner_id: str = Field(min_length=1, max_length=64)
    feature_id: str = Field(min_length=1, max_length=64)
    active: StrictBool


class UpdatePartnerFeature(RequestModel):
    active: StrictBool


class CreatePartnerAdmin(RequestModel):
    user_id: str = Field(min_length=1, max_length=64)
    partner_id: str = Field(min_length=1, max_length=64)


class CreatePartnerAdminUser(RequestModel):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    email: str = Field(min_length=3, max_length=255)
    partner_id: str = Field(min_length=1, max_length=64)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        from email_validator import EmailNotValidError, validate_email

        try:
            validate_email(value, check_deliverability=False)
        except EmailNotValidError as exc:
            raise ValueError("email must be an email") from exc
        return value.strip().lower()


class UpdatePartnerAdmin(RequestModel):
    active: StrictBool


class CreatePartnerAccess(RequestModel):
    feature_live_chat: StrictBool
    feature_therapy: StrictBool
    therapy_sessions_remaining: StrictInt = Field(ge=0, le=MAX_THERAPY_SESSIONS_CAP)
    therapy_sessions_redeemed: StrictInt = Field(default=0, ge=0, le=0)  # a new access has redeemed nothing


class UpdatePartnerAccess(RequestModel):
    """A super admin's change: counts 0-50 each (the partner's cap bounds only what a partner admin grants)."""

    therapy_sessions_remaining: StrictInt = Field(ge=0, le=MAX_SESSIONS_SET_BY_THE_TEAM)
    therapy_sessions_redeemed: StrictInt | None = Field(default=None, ge=0, le=MAX_SESSIONS_SET_BY_THE_TEAM)
    feature_live_chat: StrictBool | None = None
    feature_therapy: StrictBool | None = None
    active: StrictBool | None = None  # addition: switch one code off (or on) without touching its partner


class PartnerAccessCode(RequestModel):
    partner_access_code: str = Field(max_length=255)


class PartnerAccessQuery(RequestModel):
    """Filters for GET partner-access (all optional, combined with AND)."""

    partner_id: str | None = Field(default=None, max_length=64)
    access_code: str | None = Field(default=None, max_length=255)
    active: bool | None = None
    feature_live_chat: bool | None = None
    feature_therapy: bool | None = None
    therapy_sessions_remaining: int | None = Field(default=None, ge=0, le=MAX_THERAPY_SESSIONS_CAP)
    therapy_sessions_redeemed: int | None = Field(default=None, ge=0, le=1000)
    limit: int = Field(default=1000, ge=1, le=1000)


class FeatureOut(CamelModel):
    id: str
    name: str


class PartnerFeatureOut(CamelModel):
    id: str
    partner_id: str
    feature_id: str
    active: bool
    feature: FeatureOut


class PartnerOut(CamelModel):
    id: str
    name: str
    is_active: bool
    partner_feature: list[PartnerFeatureOut]


class PartnerAdminOut(CamelModel):
    id: str
    active: bool
    created_at: datetime
    updated_at: datetime
    partner: PartnerOut


class TherapySessionOut(CamelModel):
    id: str
    action: str
    service_name: str | None = None
    service_provider_name: str | None = None
    client_timezone: str | None = None
    start_date_time: datetime | None = None
    end_date_time: datetime | None = None
    cancelled_at: datetime | None = None
    rescheduled_from: str | None = None
    completed_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class PartnerAccessOut(CamelModel):
    id: str
    created_at: datetime
    updated_at: datetime
    activated_at: datetime | None
    feature_live_chat: bool
    feature_therapy: bool
    access_code: str | None
    active: bool
    therapy_sessions_remaining: int
    therapy_sessions_redeemed: int
    partner: PartnerOut
    therapy_sessions: list[TherapySessionOut] = Field(default_factory=list)


class CypressCleanupOut(CamelModel):
    deleted_count: int


class GrantedAccess(NamedTuple):
    """An access given to a user during signup; the user record lists both ids and keeps `copy` (the access as
    stored) in its profile projection."""

    access_id: str
    partner_id: str
    copy: dict[str, Any]
