"""What the crm area shows callers: the Mailchimp webhook's delivery and answer, and the relay event."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bloom.core.models import CamelModel

Provider = Literal["crisp", "mailchimp"]
PROVIDERS: tuple[Provider, ...] = ("crisp", "mailchimp")


class MailchimpWebhook(BaseModel):
    """A Mailchimp audience webhook delivery (form-encoded: `type=…&data[email]=…&data[list_id]=…`)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    type: str = Field(min_length=1, max_length=32)
    email: str | None = Field(default=None, alias="data[email]", max_length=255)
    list_id: str | None = Field(default=None, alias="data[list_id]", max_length=64)


class MailchimpWebhookResult(CamelModel):
    """The answer (no personal data): whether the delivery changed a user's permissions."""

    applied: bool


class ProfileStale(BaseModel):
    """A user's CRM profiles may no longer match their state (relayed from a domain event, or from
    `crm resync`). `providers` limits which providers sync (empty: all)."""

    user_id: str
    providers: list[str] = Field(default_factory=list)
    cause: str
    force: bool = False  # write even what the fingerprint says is already there (after a provider lost data)
