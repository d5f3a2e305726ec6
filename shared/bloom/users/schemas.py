"""The Bloom user as stored at `users/{authUid}`.

Besides the user's own fields, the document carries what the profile (`GET user/me`) shows of other areas:
the ids of the user's accesses, partners and started content, their partner-admin summary, and `profile`, a
projection holding copies of the user's access records and progress records. The areas that own those
records write the copies in the same transactions as the records (through `bloom.users.service`), so the
read that authenticates a request is all the profile needs of the user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field, StrictBool
from pydantic.alias_generators import to_camel

from bloom.core.models import CamelModel, RequestModel
from bloom.platform.registry import Role

if TYPE_CHECKING:
    from bloom.platform.store.unit_of_work import Fetched

CYPRESS_EMAIL_PREFIX = "cypresstestemail"
CYPRESS_EMAIL = re.compile(r"^cypresstestemail[^@]*@chayn\.co$")


@dataclass(frozen=True)
class Caller:
    auth_uid: str
    claims: dict[str, Any]
    user: UserRecord
    # Documents read in the same round trip as the user, for routes that declare them (the profile's catalogues).
    prefetched: Fetched | None = None

    @property
    def has_second_factor(self) -> bool:
        firebase_claims = self.claims.get("firebase") or {}
        return bool(isinstance(firebase_claims, dict) and firebase_claims.get("sign_in_second_factor"))

    @property
    def is_super_admin(self) -> bool:
        return self.user.is_super_admin and self.claims.get("email_verified") is True and self.has_second_factor

    @property
    def is_therapist(self) -> bool:
        return self.user.therapist_profile_id is not None and self.has_second_factor

    @property
    def is_practice_admin(self) -> bool:
        """A practice admin (or a super admin) signed in with a second factor."""
        return self.has_second_factor and (self.user.practice_admin or self.is_super_admin)

    @property
    def practice_second_factor_missing(self) -> bool:
        """Holds a practice role that needs a second factor, but signed in without one."""
        return self.user.needs_second_factor and not self.has_second_factor

    def has_role(self, role: Role) -> bool:
        if role in (Role.PUBLIC, Role.WEBHOOK, Role.USER):
            return True
        if role is Role.PARTNER_ADMIN:
            return self.user.is_partner_admin
        if role is Role.PRACTICE_USER:
            return not self.practice_second_factor_missing
        if role is Role.THERAPIST:
            return self.is_therapist
        if role is Role.PRACTICE_STAFF:
            return self.is_therapist or self.is_practice_admin
        if role is Role.PRACTICE_ADMIN:
            return self.is_practice_admin
        return self.is_super_admin


class PartnerAdminSummary(CamelModel):
    """Denormalised onto the user so role checks need no extra read."""

    id: str
    partner_id: str
    active: bool
    partner_active: bool
    created_at: datetime | None = None
    updated_at: datetime | None = None


ProjectionSection = Literal["accesses", "courses", "resources", "subscriptions"]


class ProfileProjection(CamelModel):
    """Copies of the user's records the profile shows, keyed like their documents: partner accesses (by access
    id), course and resource progress (by story uuid), subscriptions (by subscription id). Stored as the owning
    area wrote them; each area parses its own. Written only through `bloom.users.service.project_in`, in the
    transaction that writes the record."""

    accesses: dict[str, dict[str, Any]] = Field(default_factory=dict)
    courses: dict[str, dict[str, Any]] = Field(default_factory=dict)
    resources: dict[str, dict[str, Any]] = Field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = Field(default_factory=dict)


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
    profile: ProfileProjection = Field(default_factory=ProfileProjection)
    # Practice roles (practice area, through `bloom.users.service.set_practice_roles_in`), so role checks need
    # no extra read: the id of the user's therapist profile, and whether they run the practice.
    therapist_profile_id: str | None = None
    practice_admin: bool = False
    # Set by a practice admin (support console): a disabled user's requests get 401, and tokens issued before
    # `tokens_valid_after` (whole seconds, as Firebase counts `iat`) stay refused after the user is enabled again.
    disabled_at: datetime | None = None
    tokens_valid_after: datetime | None = None

    @property
    def needs_second_factor(self) -> bool:
        """Therapists, practice admins and super admins must sign in with a second factor."""
        return self.therapist_profile_id is not None or self.practice_admin or self.is_super_admin

    @property
    def is_partner_admin(self) -> bool:
        admin = self.partner_admin
        return admin is not None and admin.active and admin.partner_active


EmailRemindersFrequency = Literal["TWO_WEEKS", "ONE_MONTH", "TWO_MONTHS", "NEVER"]
SignUpLanguage = Literal["en", "es", "hi", "fr", "pt", "de", "ar", "tr"]
NAME_MAX = 50
EMAIL_MAX = 255


def _valid_email(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    value = value.strip()
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError("must be an email") from exc
    return value.lower()


Email = Annotated[str, Field(min_length=3, max_length=EMAIL_MAX), AfterValidator(_valid_email)]
Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX)]


class UpdateUser(RequestModel):
    """Any of these; a field that is absent (or null) is left as it is."""

    name: Name | None = None
    email: Email | None = None
    contact_permission: StrictBool | None = None
    service_emails_permission: StrictBool | None = None
    email_reminders_frequency: EmailRemindersFrequency | None = None
    sign_up_language: SignUpLanguage | None = None

    def changes(self) -> dict[str, object]:
        """The stored fields (snake_case) this request sets."""
        return {key: value for key, value in self.model_dump().items() if value is not None}


class AdminUpdateUser(UpdateUser):
    is_super_admin: StrictBool | None = None


class UserOut(CamelModel):
    id: str
    created_at: datetime | None
    updated_at: datetime | None
    deleted_at: datetime | None
    name: str
    email: str
    is_active: bool
    last_active_at: datetime | None
    is_super_admin: bool
    sign_up_language: str | None
    email_reminders_frequency: str
    contact_permission: bool
    service_emails_permission: bool
    crisp_token_id: str | None


class DeletedUser(CamelModel):
    id: str


def user_out(record: UserRecord) -> UserOut:
    return UserOut(
        id=record.id,
        created_at=record.created_at,
        updated_at=record.updated_at,
        deleted_at=record.deleted_at,
        name=record.name,
        email=record.email,
        is_active=record.is_active,
        last_active_at=record.last_active_at,
        is_super_admin=record.is_super_admin,
        sign_up_language=record.sign_up_language,
        email_reminders_frequency=record.email_reminders_frequency,
        contact_permission=record.contact_permission,
        service_emails_permission=record.service_emails_permission,
        crisp_token_id=record.crisp_token_id,
    )


def changed_fields(current: UserRecord, changes: dict[str, Any]) -> list[str]:
    """The camelCase names of the fields whose value `changes` really changes (for USER_UPDATED)."""
    names = [name for name, value in changes.items() if getattr(current, name, None) != value]
    return sorted(to_camel(name) for name in names)


# Test accounts the frontend's Cypress suite creates: cypresstestemail…@chayn.co
def is_cypress_email(email: str) -> bool:
    """The Cypress suite's test accounts: `cypresstestemail…@chayn.co`."""
    return CYPRESS_EMAIL.fullmatch(email.lower()) is not None
