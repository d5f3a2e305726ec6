"""Chat and CRM profiles (Crisp, Mailchimp): relays from the domain events that change what a provider shows,
one sync subscriber and one eraser per provider, and Mailchimp's webhook.

Subscribing the profiles to another domain event is one relay below (`crm.mark_stale(<user id>, <topic>)`).
"""

from __future__ import annotations

from typing import Any

from bloom.api import http_function
from bloom.content.events import PROGRESS_CHANGED, ProgressChanged
from bloom.crm import service as crm
from bloom.crm.events import CRM_PROFILE_STALE
from bloom.crm.schemas import MailchimpWebhook, MailchimpWebhookResult, ProfileStale
from bloom.partners.events import (
    PARTNER_ACCESS_ACTIVATED,
    PARTNER_ACCESS_CHANGED,
    PartnerAccessActivated,
    PartnerAccessChanged,
)
from bloom.platform.events import Event
from bloom.platform.registry import Role, Sdk
from bloom.platform.subscriber import event_function
from bloom.platform.webhook_verification import QueryToken
from bloom.platform.webhooks import WebhookDelivery, webhook_function
from bloom.users import errors as users_errors
from bloom.users.events import USER_CREATED, USER_DELETED, USER_UPDATED, UserCreated, UserDeleted, UserUpdated

CRISP_SECRETS = ("CRISP_TOKEN_IDENTIFIER", "CRISP_TOKEN_KEY")
MAILCHIMP_SECRETS = ("MAILCHIMP_API_KEY",)
RELAY = "Relay to crm.profile-stale: the user's chat and CRM profiles are to be updated"


# ---------------------------------------------------------------- relays (one per domain event)


@event_function(USER_CREATED, summary=RELAY, emits=(CRM_PROFILE_STALE,), sdks=(Sdk.PUBSUB,))
def crm_on_user_created(event: Event[UserCreated]) -> None:
    crm.mark_stale(event.payload.user_id, event.topic)


@event_function(USER_UPDATED, summary=RELAY, emits=(CRM_PROFILE_STALE,), sdks=(Sdk.PUBSUB,))
def crm_on_user_updated(event: Event[UserUpdated]) -> None:
    crm.mark_stale(event.payload.user_id, event.topic)


@event_function(PARTNER_ACCESS_ACTIVATED, summary=RELAY, emits=(CRM_PROFILE_STALE,), sdks=(Sdk.PUBSUB,))
def crm_on_partner_access_activated(event: Event[PartnerAccessActivated]) -> None:
    crm.mark_stale(event.payload.user_id, event.topic)


@event_function(PARTNER_ACCESS_CHANGED, summary=RELAY, emits=(CRM_PROFILE_STALE,), sdks=(Sdk.PUBSUB,))
def crm_on_partner_access_changed(event: Event[PartnerAccessChanged]) -> None:
    if event.payload.user_id is not None:  # released: its former holder was erased, nothing to sync
        crm.mark_stale(event.payload.user_id, event.topic)


@event_function(PROGRESS_CHANGED, summary=RELAY, emits=(CRM_PROFILE_STALE,), sdks=(Sdk.PUBSUB,))
def crm_on_progress_changed(event: Event[ProgressChanged]) -> None:
    crm.mark_stale(event.payload.user_id, event.topic)


# ---------------------------------------------------------------- one subscriber per provider


@event_function(
    CRM_PROFILE_STALE,
    summary="Write the user's whole Crisp people profile from their current state (retried while Crisp fails)",
    secrets=CRISP_SECRETS,
    sdks=(Sdk.REQUESTS,),
)
def sync_crisp_profile(event: Event[ProfileStale]) -> None:
    if crm.wants(event.payload, "crisp"):
        crm.sync("crisp", event.payload.user_id, force=event.payload.force)


@event_function(
    CRM_PROFILE_STALE,
    summary="Write the user's whole Mailchimp member from their current state (retried while Mailchimp fails)",
    secrets=MAILCHIMP_SECRETS,
    sdks=(Sdk.REQUESTS,),
)
def sync_mailchimp_member(event: Event[ProfileStale]) -> None:
    if crm.wants(event.payload, "mailchimp"):
        crm.sync("mailchimp", event.payload.user_id, force=event.payload.force)


@event_function(
    USER_DELETED,
    summary="Erase a deleted user's Crisp profile (retried while Crisp fails)",
    secrets=CRISP_SECRETS,
    sdks=(Sdk.REQUESTS,),
)
def erase_crisp_profile_of_deleted_user(event: Event[UserDeleted]) -> None:
    crm.erase("crisp", event.payload.user_id)


@event_function(
    USER_DELETED,
    summary="Permanently delete a deleted user's Mailchimp member (retried while Mailchimp fails)",
    secrets=MAILCHIMP_SECRETS,
    sdks=(Sdk.REQUESTS,),
)
def erase_mailchimp_member_of_deleted_user(event: Event[UserDeleted]) -> None:
    crm.erase("mailchimp", event.payload.user_id)


# ---------------------------------------------------------------- Mailchimp's webhook


@http_function(
    "GET",
    "/api/webhooks/mailchimp",
    role=Role.PUBLIC,
    response=None,
    summary="Mailchimp's check of the webhook URL: 200 null",
    tags=("webhooks",),
)
def mailchimp_webhook_check(_: Any) -> None:
    return None


@webhook_function(
    "/api/webhooks/mailchimp",
    verify=QueryToken(header="secret", credential="MAILCHIMP_WEBHOOK_SECRET"),
    body=MailchimpWebhook,
    body_format="form",
    respond_inline=True,
    response=MailchimpWebhookResult,
    summary=(
        "Mailchimp audience events, form-encoded (`type=unsubscribe|cleaned|upemail|profile`, `data[email]`), with"
        " `?secret=`: unsubscribe withdraws marketing consent, cleaned both permissions; others change nothing"
    ),
    sdks=(Sdk.FIRESTORE, Sdk.PUBSUB),
    emits=(USER_UPDATED,),
    errors=(users_errors.USER_NOT_FOUND,),  # the user erased while the event was applied
)
def mailchimp_webhook(delivery: WebhookDelivery[MailchimpWebhook]) -> MailchimpWebhookResult:
    return crm.apply_mailchimp_webhook(delivery.body)
