"""The booking ledger's records and its rules (no I/O).

One record per Simplybook booking (`therapyBookings/code-{booking code}`: the code names the booking on both
paths, Simplybook's own callback and Zapier) holds what happened to it. `step` decides what a delivery does to
it; the service carries that out in one transaction, the charge or refund included, so a booking is charged at
most once and refunded at most once whatever order deliveries arrive in and however often:
- a booking seen first through a cancel is recorded as cancelled and never charged: a late create finds it;
- a create, change or completion of a booking we never saw books it (matching the user, charging an access);
- a second create is a no-op, a change to the times it already has is a no-op, a second cancel is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from bloom.core.models import CamelModel
from bloom.partners.schemas import TherapySessionOut
from bloom.therapy.schemas import Booking, TherapyAction

Operation = Literal["book", "cancel", "change", "complete"]
Outcome = Literal["booked", "rejected", "unmatched", "cancelled_before_booked"]
EventKind = Literal["booked", "cancelled", "rescheduled", "completed"]
OPERATION_ACTIONS: dict[Operation, TherapyAction] = {
    "book": "NEW_BOOKING",
    "cancel": "CANCELLED_BOOKING",
    "change": "UPDATED_BOOKING",
    "complete": "COMPLETED_BOOKING",
}


class TherapyBookingRecord(CamelModel):
    """`therapyBookings/code-{code}`. `partner_access_id` is the access charged (kept after erasure, for reporting)."""

    id: str  # the TherapySession's public id
    booking_code: str
    simplybook_id: int | None = None
    outcome: Outcome
    action: TherapyAction
    user_id: str | None = None  # the PUBLIC user id; None when unmatched or erased
    partner_id: str | None = None
    partner_access_id: str | None = None
    charged_at: datetime | None = None
    refunded_at: datetime | None = None
    client_email: str | None = None
    client_timezone: str | None = None
    service_name: str = ""
    service_provider_name: str = ""
    service_provider_email: str | None = None
    start_date_time: datetime
    end_date_time: datetime
    cancelled_at: datetime | None = None
    rescheduled_from: datetime | None = None
    completed_at: datetime | None = None
    erased_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


def ledger_key(code: str) -> str:
    """The record's document id: prefixed, so no code (`__x__`) can be a reserved id."""
    return f"code-{code}"


@dataclass(frozen=True)
class Match:
    """Who booked and which access paid: `user_id` None means nobody matched; `access_id` None means no charge."""

    user_id: str | None
    access_id: str | None = None
    partner_id: str | None = None


@dataclass(frozen=True)
class Step:
    """What a delivery does to the ledger: the record to write (None: nothing changes), and its consequences."""

    record: TherapyBookingRecord | None
    refund: bool = False
    events: tuple[EventKind, ...] = field(default_factory=tuple)


def needs_match(record: TherapyBookingRecord | None, operation: Operation) -> bool:
    """Only a booking we have never seen, brought by anything but a cancel, is matched and charged."""
    return record is None and operation != "cancel"


def first_record(session_id: str, operation: Operation, booking: Booking, match: Match | None, now: datetime) -> Step:
    """The record of a booking seen for the first time (`match` is None only for a cancel)."""
    base = TherapyBookingRecord(
        id=session_id,
        booking_code=booking.code,
        simplybook_id=booking.simplybook_id,
        outcome="cancelled_before_booked",
        action=OPERATION_ACTIONS[operation],
        client_email=booking.client_email.strip().lower() if booking.client_email else None,
        client_timezone=booking.client_timezone,
        service_name=booking.service_name,
        service_provider_name=booking.service_provider_name,
        service_provider_email=booking.service_provider_email,
        start_date_time=booking.start_date_time,
        end_date_time=booking.end_date_time,
        created_at=now,
        updated_at=now,
    )
    if operation == "cancel":
        return Step(base.model_copy(update={"cancelled_at": now}), events=("cancelled",))
    match = match or Match(user_id=None)
    outcome: Outcome = "unmatched" if match.user_id is None else "booked" if match.access_id else "rejected"
    record = base.model_copy(
        update={
            "outcome": outcome,
            "user_id": match.user_id,
            "partner_id": match.partner_id,
            "partner_access_id": match.access_id,
            "charged_at": now if match.access_id else None,
            "completed_at": now if operation == "complete" else None,
        }
    )
    events: tuple[EventKind, ...] = ("booked", "completed") if operation == "complete" else ("booked",)
    return Step(record, events=events)


def next_step(record: TherapyBookingRecord, operation: Operation, booking: Booking, now: datetime) -> Step:
    """What a delivery does to a booking already in the ledger."""
    known_id = record.simplybook_id if record.simplybook_id is not None else booking.simplybook_id
    changes: dict[str, object] = {}
    events: tuple[EventKind, ...] = ()
    refund = False
    if operation == "cancel" and record.cancelled_at is None:
        refund = record.charged_at is not None and record.refunded_at is None
        changes = {"cancelled_at": now, "refunded_at": now if refund else record.refunded_at}
        events = ("cancelled",)
    elif operation == "change" and record.cancelled_at is None and record.completed_at is None:
        if (booking.start_date_time, booking.end_date_time) != (record.start_date_time, record.end_date_time):
            changes = {
                "rescheduled_from": record.start_date_time,
                "start_date_time": booking.start_date_time,
                "end_date_time": booking.end_date_time,
            }
            events = ("rescheduled",)
    elif operation == "complete" and record.cancelled_at is None and record.completed_at is None:
        changes = {"completed_at": now}
        events = ("completed",)
    if changes:
        changes |= {"action": OPERATION_ACTIONS[operation], "updated_at": now}
    if known_id != record.simplybook_id:
        changes |= {"simplybook_id": known_id}
    if not changes:
        return Step(None)
    return Step(record.model_copy(update=changes), refund=refund, events=events)


def completion_step(record: TherapyBookingRecord, now: datetime) -> Step:
    """The hourly job: a booked session that has ended and was not cancelled is completed (at its end time)."""
    if not awaiting_completion(record) or record.end_date_time > now:
        return Step(None)
    completed = {"completed_at": record.end_date_time, "action": "COMPLETED_BOOKING", "updated_at": now}
    return Step(record.model_copy(update=completed), events=("completed",))


# What an erased user's sessions lose: the person and every personal field; the rest is reporting.
ERASED_FIELDS: dict[str, object] = {"user_id": None, "client_email": None, "client_timezone": None}


def awaiting_completion(record: TherapyBookingRecord) -> bool:
    """Whether the hourly job may still complete it: booked, neither cancelled nor completed."""
    return record.outcome == "booked" and record.cancelled_at is None and record.completed_at is None


def session_out(record: TherapyBookingRecord) -> TherapySessionOut:
    return TherapySessionOut(
        id=record.id,
        action=record.action,
        service_name=record.service_name,
        service_provider_name=record.service_provider_name,
        client_timezone=record.client_timezone,
        start_date_time=record.start_date_time,
        end_date_time=record.end_date_time,
        cancelled_at=record.cancelled_at,
        rescheduled_from=record.rescheduled_from,
        completed_at=record.completed_at,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )
