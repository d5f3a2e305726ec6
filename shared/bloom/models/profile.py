"""The accounts API: request bodies for the user endpoints, the User object, the Profile and the rules that need
no I/O (password strength, what a user object shows).

A `user` object never carries the Firebase uid, tokens or the frontend's client-state keys: `UserOut` lists
exactly the fields of the contract, and it is built from the stored record field by field.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StrictBool

from bloom.models.base import CamelModel, RequestModel
from bloom.models.content import CourseOut, ResourceOut
from bloom.models.partner import PartnerAccessOut, PartnerAdminOut
from bloom.models.user import UserRecord

EmailRemindersFrequency = Literal["TWO_WEEKS", "ONE_MONTH", "TWO_MONTHS", "NEVER"]
SignUpLanguage = Literal["en", "es", "hi", "fr", "pt", "de", "ar", "tr"]
NAME_MAX = 50
EMAIL_MAX = 255
PASSWORD_MIN = 8
PASSWORD_MAX = 128
SEARCH_LIMIT_DEFAULT = 10
SEARCH_LIMIT_MAX = 50
# Test accounts the frontend's Cypress suite creates: cypresstestemail…@chayn.co
CYPRESS_EMAIL_PREFIX = "cypresstestemail"
CYPRESS_EMAIL = re.compile(r"^cypresstestemail[^@]*@chayn\.co$")


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


# ---------------------------------------------------------------- request bodies


class CreateUser(RequestModel):
    name: Name
    email: Email
    # Shorter than 8 is answered with CREATE_USER_WEAK_PASSWORD (the contract's message), not a schema error.
    password: str = Field(max_length=PASSWORD_MAX)
    contact_permission: StrictBool
    service_emails_permission: StrictBool = True
    email_reminders_frequency: EmailRemindersFrequency = "NEVER"
    sign_up_language: SignUpLanguage | None = None
    partner_access_code: str | None = Field(default=None, max_length=255)  # '' means none
    partner_id: str | None = Field(default=None, max_length=64)


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


class PartnerAccessCriteria(RequestModel):
    feature_therapy: StrictBool | None = None
    active: StrictBool | None = None


class PartnerAdminCriteria(RequestModel):
    partner_admin_id: str = Field(min_length=1, max_length=64)  # "IS NOT NULL" or a partner-admin id


class SearchCriteria(RequestModel):
    """`GET user?searchCriteria=<JSON>`."""

    email: str | None = Field(default=None, max_length=EMAIL_MAX)
    partner_access: PartnerAccessCriteria | None = None
    partner_admin: PartnerAdminCriteria | None = None
    include: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=10)
    limit: int = Field(default=SEARCH_LIMIT_DEFAULT, ge=1, le=SEARCH_LIMIT_MAX)

    @property
    def wants_accesses(self) -> bool:
        return self.partner_access is not None or any(item.startswith("partnerAccess") for item in self.include)

    @property
    def wants_admin(self) -> bool:
        return self.partner_admin is not None or any(item.startswith("partnerAdmin") for item in self.include)


class UserSearchQuery(RequestModel):
    search_criteria: str | None = Field(default=None, max_length=4000)


# ---------------------------------------------------------------- API shapes


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


class SubscriptionOut(CamelModel):
    id: str
    subscription_id: str
    subscription_name: str
    subscription_info: str | None
    created_at: datetime
    cancelled_at: datetime | None


class Profile(CamelModel):
    user: UserOut
    partner_accesses: list[PartnerAccessOut]
    partner_admin: PartnerAdminOut | None
    courses: list[CourseOut]
    resources: list[ResourceOut]
    subscriptions: list[SubscriptionOut]


class UserSearchResult(CamelModel):
    user: UserOut
    partner_accesses: list[PartnerAccessOut]
    partner_admin: PartnerAdminOut | None


class DeletedUser(CamelModel):
    id: str


class CypressCount(BaseModel):
    count: int


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


# ---------------------------------------------------------------- rules


def is_weak_password(password: str) -> bool:
    """Shorter than 8 characters, or on the common-password list (compared case-insensitively)."""
    if len(password) < PASSWORD_MIN:
        return True
    from bloom.data.common_passwords import COMMON_PASSWORDS  # a few hundred words, loaded on first signup

    return password.lower() in COMMON_PASSWORDS


def is_cypress_email(email: str) -> bool:
    return CYPRESS_EMAIL.fullmatch(email.lower()) is not None


def is_new_active_day(last_active_at: datetime | None, now: datetime) -> bool:
    """`lastActiveAt` is recorded at most once per (UTC) day."""
    return last_active_at is None or last_active_at.date() != now.date()
