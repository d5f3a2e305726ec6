"""WhatsApp subscriptions (respond.io): the three `subscription-user` routes, the contact deletion that follows
a cancellation, and erasure when the user is deleted."""

from __future__ import annotations

from typing import Any

from bloom.api import HttpContext, http_function
from bloom.platform.events import Event
from bloom.platform.http import Empty
from bloom.platform.registry import Role, Sdk
from bloom.platform.subscriber import event_function
from bloom.subscriptions import errors
from bloom.subscriptions import service as subscriptions
from bloom.subscriptions.events import SUBSCRIPTION_CANCELLED, SUBSCRIPTION_CREATED, SubscriptionCancelled
from bloom.subscriptions.schemas import CancelSubscription, CreateWhatsappSubscription, SubscriptionOut
from bloom.users.events import USER_DELETED, UserDeleted

TAGS = ("subscriptions",)
RESPOND_IO_CREATE = ("RESPOND_IO_CREATE_CONTACT_WEBHOOK",)
RESPOND_IO_DELETE = ("RESPOND_IO_DELETE_CONTACT_WEBHOOK",)


@http_function(
    "GET",
    "/api/v1/subscription-user",
    role=Role.USER,
    response=list[SubscriptionOut],
    summary="The caller's subscriptions, active and cancelled",
    tags=TAGS,
)
def get_subscriptions_user(ctx: HttpContext[Any, Any]) -> list[SubscriptionOut]:
    return subscriptions.projected(ctx.caller.user)


@http_function(
    "POST",
    "/api/v1/subscription-user/whatsapp",
    role=Role.USER,
    body=CreateWhatsappSubscription,
    response=SubscriptionOut,
    summary=(
        "Subscribe the caller to WhatsApp messages at an E.164 number (spaces removed); the respond.io contact is"
        " created first. 409 ALREADY_EXISTS when one is active; 502 when respond.io fails (nothing stored)"
    ),
    tags=TAGS,
    errors=(errors.ALREADY_EXISTS, errors.RESPOND_IO_UNAVAILABLE),
    rate_limit="10/minute per user",
    emits=(SUBSCRIPTION_CREATED,),
    secrets=RESPOND_IO_CREATE,
    sdks=(Sdk.PUBSUB, Sdk.REQUESTS),
)
def create_whatsapp_subscription(ctx: HttpContext[CreateWhatsappSubscription, Empty]) -> SubscriptionOut:
    return subscriptions.subscribe_whatsapp(ctx.caller.auth_uid, ctx.caller.user, ctx.body)


@http_function(
    "PATCH",
    "/api/v1/subscription-user/whatsapp/{id}",
    role=Role.USER,
    body=CancelSubscription,
    response=SubscriptionOut,
    summary=(
        "Cancel one of the caller's WhatsApp subscriptions (respond.io is told by a subscriber, retried)."
        " 400 Could not find subscription; 409 when already cancelled"
    ),
    tags=TAGS,
    errors=(errors.SUBSCRIPTION_NOT_FOUND, errors.ALREADY_CANCELLED),
    emits=(SUBSCRIPTION_CANCELLED,),
    sdks=(Sdk.PUBSUB,),
)
def cancel_whatsapp_subscription(ctx: HttpContext[CancelSubscription, Empty]) -> SubscriptionOut:
    return subscriptions.cancel_whatsapp(ctx.caller.auth_uid, ctx.caller.user, ctx.path["id"])


@event_function(
    SUBSCRIPTION_CANCELLED,
    summary="Delete the respond.io contact of a cancelled WhatsApp subscription (retried while respond.io is down)",
    secrets=RESPOND_IO_DELETE,
    sdks=(Sdk.REQUESTS,),
)
def delete_cancelled_whatsapp_contacts(event: Event[SubscriptionCancelled]) -> None:
    subscriptions.delete_cancelled_contacts(event.payload.user_id)


@event_function(
    USER_DELETED,
    summary="Erase a deleted user's WhatsApp subscriptions: respond.io contacts deleted, numbers redacted",
    secrets=RESPOND_IO_DELETE,
    sdks=(Sdk.PUBSUB, Sdk.REQUESTS),
    emits=(SUBSCRIPTION_CANCELLED,),
)
def erase_whatsapp_subscriptions_of_deleted_user(event: Event[UserDeleted]) -> None:
    subscriptions.erase_user_subscriptions(event.payload.user_id)
