"""The waitlist over HTTP (a patient's entries), the offers freed slots become (a `slot.freed` subscriber), the
job passing expired offers on, the booking of an offer (an `appointment.booked` subscriber) and erasure."""

from __future__ import annotations

from bloom.api import HttpContext, http_function
from bloom.platform.events import Event
from bloom.platform.http import Empty
from bloom.platform.registry import Role, Sdk
from bloom.platform.subscriber import event_function, scheduled_function
from bloom.platform.topics import ScheduledRun
from bloom.practice import errors as practice_errors
from bloom.scheduling.events import APPOINTMENT_BOOKED, SLOT_FREED, AppointmentBooked, SlotFreed
from bloom.users.events import USER_DELETED, UserDeleted
from bloom.waitlist import errors, service
from bloom.waitlist.schemas import JoinWaitlist, WaitlistEntries, WaitlistEntry

TAGS = ("waitlist",)
WAITLIST = "/api/v1/practice/waitlist"
# Making or releasing a hold can announce `slot.freed` (for a patient's own hold, never a waitlist offer's; the
# declarations cover what the code reaches).
PUBLISHES = (Sdk.FIRESTORE, Sdk.PUBSUB)


@http_function(
    "POST",
    WAITLIST,
    role=Role.PRACTICE_USER,
    body=JoinWaitlist,
    response=WaitlistEntry,
    summary="Wait for a time of a therapist within a range: a freed slot in it is offered (held 10 minutes)",
    errors=(practice_errors.THERAPIST_NOT_FOUND, errors.WAITLIST_RANGE_PASSED, errors.TOO_MANY_WAITLIST_ENTRIES),
    tags=TAGS,
)
def join_waitlist(ctx: HttpContext[JoinWaitlist, Empty]) -> WaitlistEntry:
    return service.join_waitlist(ctx.caller, ctx.body)


@http_function(
    "GET",
    WAITLIST,
    role=Role.PRACTICE_USER,
    response=WaitlistEntries,
    summary="The caller's waitlist entries, newest first",
    tags=TAGS,
)
def list_waitlist(ctx: HttpContext[Empty, Empty]) -> WaitlistEntries:
    return service.list_entries(ctx.caller)


@http_function(
    "DELETE",
    f"{WAITLIST}/{{entry_id}}",
    role=Role.PRACTICE_USER,
    response=WaitlistEntry,
    summary="Leave the waitlist: the entry is cancelled, and a slot it was offered passes on to the next in line",
    errors=(errors.WAITLIST_ENTRY_NOT_FOUND,),
    emits=(SLOT_FREED,),
    sdks=PUBLISHES,
    tags=TAGS,
)
def leave_waitlist(ctx: HttpContext[Empty, Empty]) -> WaitlistEntry:
    return service.leave_waitlist(ctx.caller, ctx.path["entry_id"])


@event_function(
    SLOT_FREED,
    summary="Offer a freed slot to the oldest waiting entry it fits (a 10-minute hold)",
    emits=(SLOT_FREED,),
    sdks=PUBLISHES,
)
def offer_freed_slot(event: Event[SlotFreed]) -> None:
    freed = event.payload
    service.offer_freed_slot(freed.therapist_id, freed.start, freed.end)


@scheduled_function(
    "* * * * *",
    summary="Expire waitlist offers not booked in time and pass their slots on",
    emits=(SLOT_FREED,),
    sdks=PUBLISHES,
)
def pass_on_expired_waitlist_offers(run: Event[ScheduledRun]) -> None:
    service.pass_on_expired_offers(run.payload.moment())


@event_function(APPOINTMENT_BOOKED, summary="Mark the waitlist entry whose offered slot was booked as booked")
def record_waitlist_booking(event: Event[AppointmentBooked]) -> None:
    booked = event.payload
    service.record_booking(booked.patient_id, booked.therapist_id, booked.start)


@event_function(
    USER_DELETED,
    summary="Erase a deleted user's waitlist entries (an offer they held passes on)",
    emits=(SLOT_FREED,),
    sdks=PUBLISHES,
)
def erase_waitlist_of_deleted_user(event: Event[UserDeleted]) -> None:
    service.erase_waitlist_of(event.payload.user_id)
