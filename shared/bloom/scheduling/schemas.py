"""What the scheduling area shows callers and other areas: availability, slots, holds, appointments, meetings."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from bloom.core.models import CamelModel, RequestModel
from bloom.core.time import UtcDateTime
from bloom.platform.cursors import Cursor
from bloom.practice.schemas import Timezone

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MeetingProvider = Literal["zoom", "meet", "none"]
AppointmentStatus = Literal["booked", "cancelled", "completed", "no_show"]
PaymentStatus = Literal["not_required", "due", "paid", "refunded", "partially_refunded"]
HoldPurpose = Literal["patient", "waitlist_offer"]
CancelledByRole = Literal["patient", "therapist", "practice_admin", "erasure"]
RefundReason = Literal["patient_early", "patient_late", "therapist", "practice_admin", "erasure"]
SESSION_MINUTES = (25, 50, 80)
PAGE_MAX = 100
Id = Annotated[str, Field(min_length=1, max_length=128)]
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _clock(value: str) -> str:
    if not _CLOCK.fullmatch(value):
        raise ValueError("must be a time of day HH:MM (00:00 to 24:00)")
    return value


def minutes_of(clock: str) -> int:
    """Minutes after local midnight of an "HH:MM" (24:00 is the end of the day)."""
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


Clock = Annotated[str, AfterValidator(_clock)]
_EARLIEST, _LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)


def _bookable_era(value: datetime) -> datetime:
    if not _EARLIEST <= value < _LATEST:
        raise ValueError("must be between 2000 and 2200")  # far times would overflow the slot arithmetic
    return value


SchedulingTime = Annotated[UtcDateTime, AfterValidator(_bookable_era)]
"""A time from a caller (UTC), in the years anything can be scheduled."""


class Money(CamelModel):
    amount: int = Field(ge=0, description="Minor units (pence, cents)")
    currency: Annotated[str, Field(pattern=_CURRENCY.pattern, description="ISO 4217, upper case")]


class WeeklyRange(CamelModel):
    day: Weekday
    start: Clock
    end: Clock


class AvailabilityException(CamelModel):
    """A date (the therapist's local date) off (`available: false`) or with its own hours replacing the week's."""

    date: date
    available: bool
    start: Clock | None = None
    end: Clock | None = None

    @model_validator(mode="after")
    def _hours(self) -> AvailabilityException:
        if self.available and (self.start is None or self.end is None):
            raise ValueError("exceptions: an available date needs start and end")
        if self.start is not None and self.end is not None and minutes_of(self.end) <= minutes_of(self.start):
            raise ValueError("exceptions: end must be after start")
        return self


def _no_overlaps(ranges: list[WeeklyRange]) -> list[WeeklyRange]:
    by_day: dict[str, list[tuple[int, int]]] = {}
    for item in ranges:
        start, end = minutes_of(item.start), minutes_of(item.end)
        if end <= start:
            raise ValueError(f"weekly: {item.day} {item.start}-{item.end} ends before it starts")
        by_day.setdefault(item.day, []).append((start, end))
    for day, spans in by_day.items():
        spans.sort()
        for (_, previous_end), (next_start, _) in itertools.pairwise(spans):
            if next_start < previous_end:
                raise ValueError(f"weekly: ranges of {day} overlap")
    return ranges


def _exceptions_consistent(items: list[AvailabilityException]) -> list[AvailabilityException]:
    by_date: dict[date, list[AvailabilityException]] = {}
    for item in items:
        by_date.setdefault(item.date, []).append(item)
    for day, found in by_date.items():
        if len(found) > 1 and not all(item.available for item in found):
            raise ValueError(f"exceptions: {day} is both off and available")
        spans = sorted((minutes_of(i.start or ""), minutes_of(i.end or "")) for i in found if i.available)
        for (_, previous_end), (next_start, _) in itertools.pairwise(spans):
            if next_start < previous_end:
                raise ValueError(f"exceptions: ranges of {day} overlap")
    return items


class AvailabilityBody(RequestModel):
    """`PUT therapists/:id/availability`: the whole value (rules in the therapist's IANA zone)."""

    timezone: Timezone
    weekly: Annotated[list[WeeklyRange], Field(max_length=70), AfterValidator(_no_overlaps)]
    exceptions: Annotated[
        list[AvailabilityException], Field(default_factory=list, max_length=400), AfterValidator(_exceptions_consistent)
    ]
    session_minutes: Literal[25, 50, 80]
    buffer_minutes: int = Field(ge=0, le=60)
    min_notice_hours: int = Field(ge=0, le=168)
    horizon_days: int = Field(ge=1, le=180)
    price: Money
    late_cancel_fee: int | None = Field(
        default=None, ge=0, description="Kept when a patient cancels < 24 h before (minor units; default the price)"
    )
    meeting_provider: MeetingProvider = "none"

    @model_validator(mode="after")
    def _fee_within_price(self) -> AvailabilityBody:
        if self.late_cancel_fee is not None and self.late_cancel_fee > self.price.amount:
            raise ValueError("lateCancelFee: must not exceed price.amount")
        return self


class Availability(CamelModel):
    therapist_id: str
    timezone: str
    weekly: list[WeeklyRange]
    exceptions: list[AvailabilityException]
    session_minutes: int
    buffer_minutes: int
    min_notice_hours: int
    horizon_days: int
    price: Money
    late_cancel_fee: int | None
    meeting_provider: MeetingProvider
    updated_at: datetime


class SlotsQuery(RequestModel):
    from_: SchedulingTime = Field(alias="from")
    to: SchedulingTime


class Slot(CamelModel):
    start: datetime
    end: datetime


class CreateHold(RequestModel):
    therapist_id: Id
    start: SchedulingTime


class Hold(CamelModel):
    id: str
    therapist_id: str
    patient_id: str
    start: datetime
    end: datetime
    expires_at: datetime
    purpose: HoldPurpose


class Meeting(CamelModel):
    provider: Literal["zoom", "meet"]
    join_url: str


class Refund(CamelModel):
    """The cancellation policy's decision, recorded for payments (part III) to act on."""

    amount: int
    currency: str
    reason: RefundReason


class Appointment(CamelModel):
    id: str
    therapist_id: str
    patient_id: str
    start: datetime
    end: datetime
    status: AppointmentStatus
    meeting: Meeting | None
    price: Money
    payment_status: PaymentStatus
    cancelled_at: datetime | None
    cancelled_by: str | None
    cancellation_reason: str | None
    refund: Refund | None
    created_at: datetime


class AppointmentPage(CamelModel):
    items: list[Appointment]
    next_cursor: str | None


class CreateAppointment(RequestModel):
    hold_id: Id


class CancelAppointment(RequestModel):
    reason: Annotated[str, Field(max_length=500)] | None = None


class RescheduleAppointment(RequestModel):
    hold_id: Id


class AppointmentsQuery(RequestModel):
    from_: SchedulingTime | None = Field(default=None, alias="from")
    to: SchedulingTime | None = None
    therapist_id: Id | None = None
    cursor: Cursor | None = None
    limit: int = Field(default=20, ge=1, le=PAGE_MAX)
