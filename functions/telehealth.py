"""Telehealth: an appointment's meeting (Zoom or Google Meet) made, moved and removed as scheduling's events arrive;
Zoom's webhook (URL validation, attendance); and the job settling appointments no meeting callback settled."""

from __future__ import annotations

from bloom.platform.events import Event
from bloom.platform.registry import Sdk
from bloom.platform.subscriber import event_function, scheduled_function
from bloom.platform.topics import ScheduledRun
from bloom.platform.webhook_verification import HmacSignature
from bloom.platform.webhooks import WebhookDelivery, webhook_function
from bloom.scheduling.events import (
    APPOINTMENT_BOOKED,
    APPOINTMENT_CANCELLED,
    APPOINTMENT_RESCHEDULED,
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
)
from bloom.telehealth import service as telehealth
from bloom.telehealth.providers import ZOOM_SECRETS
from bloom.telehealth.schemas import ZoomEvent

# Zoom signs every delivery, its URL validation included: `v0=` hex HMAC-SHA256 of `v0:{timestamp}:{raw body}`.
ZOOM_SIGNATURE = HmacSignature(
    header="x-zm-signature",
    credential=telehealth.WEBHOOK_SECRET,
    timestamp_header="x-zm-request-timestamp",
    tolerance_s=300,
    version="v0",
)


@event_function(
    APPOINTMENT_BOOKED,
    summary="Make the booked appointment's meeting (Zoom or Meet, as its therapist chose) and attach its link",
    secrets=ZOOM_SECRETS,
    sdks=(Sdk.REQUESTS,),
)
def create_appointment_meeting(event: Event[AppointmentBooked]) -> None:
    telehealth.create_meeting_for(event.payload.appointment_id)


@event_function(
    APPOINTMENT_RESCHEDULED,
    summary="Move the rescheduled appointment's meeting to its new time (Zoom; a Meet space has no time)",
    secrets=ZOOM_SECRETS,
    sdks=(Sdk.REQUESTS,),
)
def move_appointment_meeting(event: Event[AppointmentRescheduled]) -> None:
    telehealth.move_meeting_for(event.payload.appointment_id)


@event_function(
    APPOINTMENT_CANCELLED,
    summary="Delete the cancelled appointment's meeting (Zoom; a Meet space is left unused), erasure's included",
    secrets=ZOOM_SECRETS,
    sdks=(Sdk.REQUESTS,),
)
def delete_appointment_meeting(event: Event[AppointmentCancelled]) -> None:
    telehealth.delete_meeting_for(event.payload.appointment_id)


@webhook_function(
    "/api/webhooks/zoom",
    verify=ZOOM_SIGNATURE,
    body=ZoomEvent,
    challenge=telehealth.zoom_url_validation,
    accepted_status=200,
    idempotency_key=lambda request: request.body.delivery_key(),
    summary=(
        "Zoom meeting events signed with `x-zm-signature` (±5 minutes): `endpoint.url_validation` is answered 200"
        " `{plainToken, encryptedToken}` at once; `meeting.participant_joined` and `meeting.ended` record"
        " attendance and settle the appointment (others are ignored)"
    ),
)
def zoom_webhook(delivery: WebhookDelivery[ZoomEvent]) -> None:
    telehealth.record_zoom_event(delivery.body)


@scheduled_function(
    "*/15 * * * *",
    summary="Settle booked appointments that ended an hour ago without a meeting callback (see docs/telehealth.md)",
)
def settle_ended_appointments(_: Event[ScheduledRun]) -> None:
    telehealth.settle_ended_appointments()
