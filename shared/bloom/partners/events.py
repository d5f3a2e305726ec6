"""Events the partners area publishes about partner accesses (ids only)."""

from __future__ import annotations

from pydantic import BaseModel

from bloom.platform.topics import declare_topic


class PartnerAccessGranted(BaseModel):
    """An access was created: a partner admin's code, or an automatic access at signup."""

    access_id: str
    partner_id: str
    created_at: str


class PartnerAccessActivated(BaseModel):
    """An access became a user's: signup with a code, a signed-in user's assignment, or automatic access."""

    access_id: str
    partner_id: str
    user_id: str
    activated_at: str


class PartnerAccessChanged(BaseModel):
    """An access was updated (features, counters, activation, release) or deleted; `user_id` is its holder now."""

    access_id: str
    partner_id: str
    user_id: str | None
    changed_at: str


PARTNER_ACCESS_GRANTED = declare_topic("partner_access.granted", PartnerAccessGranted, "A partner access was created")
PARTNER_ACCESS_ACTIVATED = declare_topic(
    "partner_access.activated", PartnerAccessActivated, "A partner access became a user's"
)
PARTNER_ACCESS_CHANGED = declare_topic(
    "partner_access.changed", PartnerAccessChanged, "A partner access was updated or deleted"
)
