"""Scheduling: therapists' availability and slots, holds, appointments (book, cancel, reschedule, lists), the
expired-hold sweep and the erasure of a deleted user's appointments and holds.

Every route needs a second factor from therapists and practice admins (`Role.PRACTICE_*`); someone else's hold or
appointment id is answered like an unknown one (404).
"""

from __future__ import annotations

from bloom.api import HttpContext, http_function
from bloom.platform.cursors import INVALID_CURSOR
from bloom.platform.events import Event
from bloom.platform.http import Empty
from bloom.platform.registry import Role, Sdk
from bloom.platform.subscriber import event_function, scheduled_function
from bloom.platform.topics import ScheduledRun
from bloom.practice import errors as practice_errors
from bloom.scheduling import appointments, availability, erasure, errors, holds
from bloom.scheduling.events import APPOINTMENT_BOOKED, APPOINTMENT_CANCELLED, APPOINTMENT_RESCHEDULED, SLOT_FREED
from bloom.scheduling.schemas import (
    Appointment,
    AppointmentPage,
    AppointmentsQuery,
    Availability,
    AvailabilityBody,
    CancelAppointment,
    CreateAppointment,
    CreateHold,
    Hold,
    RescheduleAppointment,
    Slot,
    SlotsQuery,
)
from bloom.users.events import USER_DELETED, UserDeleted

TAGS = ("scheduling",)
BASE = "/api/v1/practice"
THERAPIST = f"{BASE}/therapists/{{therapist_id}}"
APPOINTMENT = f"{BASE}/appointments/{{appointment_id}}"
PUBLISHES = (Sdk.FIRESTORE, Sdk.PUBSUB)  # events go through the outbox, in Firestore


@http_function(
    "PUT",
    f"{THERAPIST}/availability",
    role=Role.PRACTICE_STAFF,
    body=AvailabilityBody,
    response=Availability,
    summary="Set a therapist's availability (that therapist or a practice admin)",
    errors=(practice_errors.THERAPIST_NOT_FOUND,),
    tags=TAGS,
)
def put_availability(ctx: HttpContext[AvailabilityBody, Empty]) -> Availability:
    return availability.put_availability(ctx.caller, ctx.path["therapist_id"], ctx.body)


@http_function(
    "GET",
    f"{THERAPIST}/availability",
    role=Role.PRACTICE_STAFF,
    response=Availability,
    summary="A therapist's availability (that therapist or a practice admin)",
    errors=(practice_errors.THERAPIST_NOT_FOUND, errors.AVAILABILITY_NOT_FOUND),
    tags=TAGS,
)
def get_availability(ctx: HttpContext[Empty, Empty]) -> Availability:
    return availability.get_availability(ctx.caller, ctx.path["therapist_id"])


@http_function(
    "GET",
    f"{THERAPIST}/slots",
    role=Role.PRACTICE_USER,
    query=SlotsQuery,
    response=list[Slot],
    summary="The slots of [from, to) (at most 31 days) a patient may hold now, ascending",
    errors=(errors.RANGE_TOO_LONG,),
    tags=TAGS,
)
def list_slots(ctx: HttpContext[Empty, SlotsQuery]) -> list[Slot]:
    return availability.slots(ctx.path["therapist_id"], ctx.query)


@http_function(
    "POST",
    f"{BASE}/holds",
    role=Role.PRACTICE_USER,
    body=CreateHold,
    response=Hold,
    summary="Hold a slot for 10 minutes (one hold per patient: a new one releases the old)",
    errors=(errors.NOT_A_SLOT, errors.SLOT_TAKEN),
    emits=(SLOT_FREED,),
    sdks=PUBLISHES,
    tags=TAGS,
)
def create_hold(ctx: HttpContext[CreateHold, Empty]) -> Hold:
    return holds.create_hold(ctx.caller, ctx.body)


@http_function(
    "DELETE",
    f"{BASE}/holds/{{hold_id}}",
    role=Role.PRACTICE_USER,
    response=Hold,
    summary="Release the caller's hold",
    errors=(errors.HOLD_NOT_FOUND,),
    emits=(SLOT_FREED,),
    sdks=PUBLISHES,
    tags=TAGS,
)
def release_hold(ctx: HttpContext[Empty, Empty]) -> Hold:
    return holds.release_hold(ctx.caller, ctx.path["hold_id"])


@http_function(
    "POST",
    f"{BASE}/appointments",
    role=Role.PRACTICE_USER,
    body=CreateAppointment,
    response=Appointment,
    summary="Book the caller's hold: it becomes the appointment in one transaction",
    errors=(errors.HOLD_NOT_FOUND, errors.HOLD_EXPIRED),
    emits=(APPOINTMENT_BOOKED,),
    sdks=PUBLISHES,
    tags=TAGS,
)
def book_appointment(ctx: HttpContext[CreateAppointment, Empty]) -> Appointment:
    return appointments.book(ctx.caller, ctx.body)


@http_function(
    "GET",
    f"{BASE}/appointments",
    role=Role.PRACTICE_USER,
    query=AppointmentsQuery,
    response=AppointmentPage,
    summary="The caller's appointments by start (a practice admin: any therapist's), cursor pages",
    errors=(INVALID_CURSOR, practice_errors.THERAPIST_NOT_FOUND),
    tags=TAGS,
)
def list_appointments(ctx: HttpContext[Empty, AppointmentsQuery]) -> AppointmentPage:
    return appointments.list_appointments(ctx.caller, ctx.query)


@http_function(
    "GET",
    APPOINTMENT,
    role=Role.PRACTICE_USER,
    response=Appointment,
    summary="One appointment (either party or a practice admin)",
    errors=(errors.APPOINTMENT_NOT_FOUND,),
    tags=TAGS,
)
def get_appointment(ctx: HttpContext[Empty, Empty]) -> Appointment:
    return appointments.appointment_for(ctx.caller, ctx.path["appointment_id"])


@http_function(
    "POST",
    f"{APPOINTMENT}/cancel",
    role=Role.PRACTICE_USER,
    body=CancelAppointment,
    response=Appointment,
    summary="Cancel an appointment before its start (either party or a practice admin), recording the refund decision",
    errors=(errors.APPOINTMENT_NOT_FOUND, errors.ALREADY_CANCELLED, errors.ALREADY_STARTED),
    emits=(APPOINTMENT_CANCELLED, SLOT_FREED),
    sdks=PUBLISHES,
    tags=TAGS,
)
def cancel_appointment(ctx: HttpContext[CancelAppointment, Empty]) -> Appointment:
    return appointments.cancel(ctx.caller, ctx.path["appointment_id"], ctx.body)


@http_function(
    "POST",
    f"{APPOINTMENT}/reschedule",
    role=Role.PRACTICE_USER,
    body=RescheduleAppointment,
    response=Appointment,
    summary="Move the caller's appointment to the time of their hold on the same therapist",
    errors=(
        errors.APPOINTMENT_NOT_FOUND,
        errors.HOLD_NOT_FOUND,
        errors.HOLD_EXPIRED,
        errors.NOT_A_SLOT,
        errors.ALREADY_CANCELLED,
        errors.ALREADY_STARTED,
    ),
    emits=(APPOINTMENT_RESCHEDULED, SLOT_FREED),
    sdks=PUBLISHES,
    tags=TAGS,
)
def reschedule_appointment(ctx: HttpContext[RescheduleAppointment, Empty]) -> Appointment:
    return appointments.reschedule(ctx.caller, ctx.path["appointment_id"], ctx.body)


@scheduled_function(
    "* * * * *",
    summary="Free the time of patient holds that expired unused (slot.freed once each)",
    emits=(SLOT_FREED,),
    sdks=PUBLISHES,
)
def sweep_expired_holds(event: Event[ScheduledRun]) -> None:
    holds.sweep_expired_holds()


@event_function(
    USER_DELETED,
    summary="Cancel a deleted user's future appointments, release and delete their holds",
    emits=(APPOINTMENT_CANCELLED, SLOT_FREED),
    sdks=PUBLISHES,
)
def erase_scheduling_of_deleted_user(event: Event[UserDeleted]) -> None:
    erasure.erase_scheduling_of(event.payload.user_id)
