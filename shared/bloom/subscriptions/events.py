"""Events the subscriptions area publishes (ids only: never the phone number)."""

from __future__ import annotations

from pydantic import BaseModel

from bloom.platform.topics import declare_topic


class SubscriptionCreated(BaseModel):
    """A subscription became active (its respond.io contact exists)."""

    subscription_id: str
    user_id: str
    subscription_name: str
    created_at: str


class SubscriptionCancelled(BaseModel):
    """A subscription was cancelled (by its user, or because the user was erased); its contact is to be deleted."""

    subscription_id: str
    user_id: str
    subscription_name: str
    cancelled_at: str


SUBSCRIPTION_CREATED = declare_topic("subscription.created", SubscriptionCreated, "A WhatsApp subscription started")
SUBSCRIPTION_CANCELLED = declare_topic(
    "subscription.cancelled", SubscriptionCancelled, "A WhatsApp subscription was cancelled"
)
