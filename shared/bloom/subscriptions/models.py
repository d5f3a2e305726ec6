"""Subscription records and the rules that need no I/O.

`subscriptionUsers/{id}`: one record per subscription, active (`cancelledAt` null) or cancelled, with the phone
number in `subscriptionInfo` until the user is erased (then it is redacted to null).
`whatsappClaims/{userId}`: the claim that makes one active WhatsApp subscription per user true by construction.
It is created (pending) in a transaction before respond.io is called, so of two concurrent requests only one
gets past it; it turns active with the record, and goes when the subscription is cancelled. A pending claim
whose request died (the process stopped between the two transactions) stops counting after `PENDING_CLAIM_TTL`.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Literal

from bloom.core.models import CamelModel
from bloom.subscriptions.schemas import SubscriptionOut

WHATSAPP = "whatsapp"
# The WhatsApp subscription's own id (the `subscriptionId` the frontend sees): stable across environments.
WHATSAPP_SUBSCRIPTION_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "https://bloom.chayn.co/subscriptions/whatsapp"))
PENDING_CLAIM_TTL = timedelta(minutes=2)


class SubscriptionRecord(CamelModel):
    id: str
    user_id: str
    subscription_id: str = WHATSAPP_SUBSCRIPTION_ID
    subscription_name: str = WHATSAPP
    subscription_info: str | None
    created_at: datetime
    cancelled_at: datetime | None = None
    contact_deleted_at: datetime | None = None  # when respond.io was told to delete the contact
    redacted_at: datetime | None = None  # the user was erased: the number is gone

    @property
    def active(self) -> bool:
        return self.cancelled_at is None


class ClaimRecord(CamelModel):
    subscription_record_id: str
    state: Literal["pending", "active"]
    claimed_at: datetime

    def blocks(self, now: datetime) -> bool:
        """Whether this claim still stands in the way of a new subscription."""
        return self.state == "active" or now - self.claimed_at < PENDING_CLAIM_TTL


PROJECTED_FIELDS = frozenset(
    {"id", "user_id", "subscription_id", "subscription_name", "subscription_info", "created_at", "cancelled_at"}
)


def projection_copy(record: SubscriptionRecord) -> dict[str, Any]:
    """What the user's document keeps of a subscription: what the profile shows, not the contact bookkeeping
    (so deleting the respond.io contact leaves the projection as it is)."""
    return record.model_dump(by_alias=True, include=set(PROJECTED_FIELDS))


def subscription_out(record: SubscriptionRecord) -> SubscriptionOut:
    return SubscriptionOut(
        id=record.id,
        subscription_id=record.subscription_id,
        subscription_name=record.subscription_name,
        subscription_info=record.subscription_info,
        created_at=record.created_at,
        cancelled_at=record.cancelled_at,
    )


def ordered(records: list[SubscriptionRecord]) -> list[SubscriptionOut]:
    """The Subscription objects, oldest first."""
    return [subscription_out(record) for record in sorted(records, key=lambda r: (r.created_at, r.id))]


def contacts_to_delete(records: list[SubscriptionRecord]) -> list[SubscriptionRecord]:
    """Cancelled subscriptions whose respond.io contact is still to be deleted. A number that an active
    subscription of the same user uses again is left alone (its contact is in use): the record only needs
    marking."""
    return [r for r in records if not r.active and r.contact_deleted_at is None]


def numbers_in_use(records: list[SubscriptionRecord]) -> set[str]:
    return {r.subscription_info for r in records if r.active and r.subscription_info}
