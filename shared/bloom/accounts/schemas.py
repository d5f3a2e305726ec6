"""What the accounts area shows callers: signup, the profile (`GET user/me`), user search and the Cypress tools."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StrictBool, StrictInt

from bloom.accounts.models import PASSWORD_MAX
from bloom.content.schemas import CourseOut, ResourceOut
from bloom.core.models import CamelModel, RequestModel
from bloom.partners.schemas import PartnerAccessOut, PartnerAdminOut
from bloom.subscriptions.schemas import SubscriptionOut
from bloom.users.schemas import EMAIL_MAX, Email, EmailRemindersFrequency, Name, SignUpLanguage, UserOut

SEARCH_LIMIT_DEFAULT = 10
SEARCH_LIMIT_MAX = 50


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
    limit: StrictInt = Field(default=SEARCH_LIMIT_DEFAULT, ge=1, le=SEARCH_LIMIT_MAX)

    @property
    def wants_accesses(self) -> bool:
        return self.partner_access is not None or any(item.startswith("partnerAccess") for item in self.include)

    @property
    def wants_admin(self) -> bool:
        return self.partner_admin is not None or any(item.startswith("partnerAdmin") for item in self.include)


class UserSearchQuery(RequestModel):
    search_criteria: str | None = Field(default=None, max_length=4000)


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


class CypressCount(BaseModel):
    count: int
