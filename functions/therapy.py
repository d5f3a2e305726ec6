"""Therapy: Simplybook bookings (its callback and the Zapier path), the user's sessions and cancels, the team's
listing, the hourly completion job, and the unlinking of an erased user's sessions."""

from __future__ import annotations

from bloom.api import HttpContext, http_function
from bloom.partners.events import PARTNER_ACCESS_CHANGED
from bloom.partners.schemas import TherapySessionOut
from bloom.platform.events import Event
from bloom.platform.http import Empty
from bloom.platform.registry import Role, Sdk
from bloom.platform.subscriber import event_function, scheduled_function
from bloom.platform.topics import ScheduledRun
from bloom.platform.webhook_verification import SharedToken
from bloom.platform.webhooks import WebhookDelivery, webhook_function
from bloom.therapy import errors as therapy_errors
from bloom.therapy import service as therapy
from bloom.therapy.events import THERAPY_BOOKED, THERAPY_CANCELLED, THERAPY_COMPLETED, THERAPY_RESCHEDULED
from bloom.therapy.schemas import AdminSessionQuery, AdminTherapySessionOut, SimplybookNotification, ZapierBooking
from bloom.therapy.simplybook import SECRETS as SIMPLYBOOK_SECRETS
from bloom.therapy.simplybook import CallbackCheck
from bloom.users.events import USER_DELETED, UserDeleted

TAGS = ("therapy",)
# A charge or a refund also changes a partner access.
LEDGER_EVENTS = (THERAPY_BOOKED, THERAPY_CANCELLED, THERAPY_RESCHEDULED, THERAPY_COMPLETED, PARTNER_ACCESS_CHANGED)
ZAPIER_TOKEN = SharedToken(
    header="authorization",
    credential="ZAPIER_TOKEN",
    scheme="Basic",
    missing=therapy_errors.ZAPIER_TOKEN_MISSING,
    mismatch=therapy_errors.ZAPIER_TOKEN_INVALID,
)


# No idempotency key on either webhook: the ledger makes every delivery idempotent by itself, and a key would
# drop a second, genuine change of the same booking.
@webhook_function(
    "/api/webhooks/simplybook",
    verify=CallbackCheck(),
    body=SimplybookNotification,
    ignore=lambda body: body.notification_type == "notify",
    summary=(
        "Simplybook booking callback {booking_id, booking_hash, company, notification_type, webhook_timestamp}"
        " with `?token=`: the booking is read from Simplybook and applied to the ledger (notify: 201 null)"
    ),
    secrets=SIMPLYBOOK_SECRETS,
    sdks=(Sdk.REQUESTS, Sdk.PUBSUB),
    emits=LEDGER_EVENTS,
)
def simplybook_webhook(delivery: WebhookDelivery[SimplybookNotification]) -> None:
    therapy.apply_simplybook_notification(delivery.body)


@webhook_function(
    "/api/webhooks/simplybook-zapier",
    verify=ZAPIER_TOKEN,
    body=ZapierBooking,
    summary=(
        "Zapier booking event (NEW_BOOKING | CANCELLED_BOOKING | UPDATED_BOOKING | COMPLETED_BOOKING, with every"
        " booking field) under `Authorization: Basic <token>`: applied to the ledger"
    ),
    sdks=(Sdk.PUBSUB,),
    emits=LEDGER_EVENTS,
)
def simplybook_zapier_webhook(delivery: WebhookDelivery[ZapierBooking]) -> None:
    therapy.apply_zapier_booking(delivery.body)


@http_function(
    "GET",
    "/api/v1/therapy-session",
    role=Role.USER,
    response=list[TherapySessionOut],
    summary="The caller's therapy sessions, newest first",
    tags=TAGS,
)
def list_therapy_sessions(ctx: HttpContext[Empty, Empty]) -> list[TherapySessionOut]:
    return therapy.sessions_of(ctx.caller.user)


@http_function(
    "PATCH",
    "/api/v1/therapy-session/{id}/cancel",
    role=Role.USER,
    response=TherapySessionOut,
    summary="The caller cancels their session: in Simplybook, then refunded once to the access it charged",
    secrets=SIMPLYBOOK_SECRETS,
    sdks=(Sdk.REQUESTS, Sdk.PUBSUB),
    emits=(THERAPY_CANCELLED, PARTNER_ACCESS_CHANGED),
    tags=TAGS,
    rate_limit="10/minute per user",
    errors=(
        therapy_errors.SESSION_NOT_FOUND,
        therapy_errors.SESSION_ALREADY_CANCELLED,
        therapy_errors.SESSION_IN_THE_PAST,
        therapy_errors.SIMPLYBOOK_UNAVAILABLE,
    ),
)
def cancel_therapy_session(ctx: HttpContext[Empty, Empty]) -> TherapySessionOut:
    return therapy.cancel_session(ctx.caller.user, ctx.path["id"])


@http_function(
    "GET",
    "/api/v1/therapy-session/admin",
    role=Role.SUPER_ADMIN,
    query=AdminSessionQuery,
    response=list[AdminTherapySessionOut],
    summary="Therapy sessions of a user or a partner (or the latest), each with the access it charged",
    tags=TAGS,
)
def list_therapy_sessions_admin(ctx: HttpContext[Empty, AdminSessionQuery]) -> list[AdminTherapySessionOut]:
    return therapy.admin_sessions(ctx.query)


@scheduled_function(
    "0 * * * *",
    summary="Set completedAt on booked therapy sessions that ended and were not cancelled",
    sdks=(Sdk.PUBSUB,),
    emits=(THERAPY_COMPLETED,),
)
def complete_therapy_sessions(_: Event[ScheduledRun]) -> None:
    therapy.complete_ended_sessions()


@event_function(USER_DELETED, summary="Unlink a deleted user's therapy sessions and drop their personal fields")
def erase_therapy_of_deleted_user(event: Event[UserDeleted]) -> None:
    therapy.erase_user_sessions(event.payload.user_id)
