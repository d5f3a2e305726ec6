"""The scheduling area's stored records and the rules that need no I/O: slots from availability rules (DST-correct,
in the therapist's zone), busy intervals and their overlaps, the cancellation policy, attendance settlement."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from bloom.core.models import CamelModel
from bloom.platform import cursors
from bloom.scheduling.schemas import (
    WEEKDAYS,
    Appointment,
    AppointmentPage,
    AppointmentStatus,
    Availability,
    AvailabilityException,
    CancelledByRole,
    Hold,
    HoldPurpose,
    Meeting,
    Money,
    PaymentStatus,
    Refund,
    WeeklyRange,
    minutes_of,
)

HOLD_MINUTES = 10
HOLD_RETENTION = timedelta(days=1)  # a finished hold's document stays this long after expiry (TTL cleans up)
MAX_BLOCK = timedelta(minutes=80 + 60)  # the longest session plus the longest buffer
MAX_SLOT_RANGE = timedelta(days=31)
FREE_CANCEL_NOTICE = timedelta(hours=24)
# Claims of one therapist's day contend on its document: of N simultaneous claims one commits per round and the
# rest read again (and see it), so they get more attempts than the default before giving up with a 503.
CLAIM_ATTEMPTS = 10
HoldStatus = Literal["held", "released", "booked", "expired"]


class AvailabilityRecord(Availability):
    """`availability/{therapistId}`."""

    therapist_user_id: str

    def out(self) -> Availability:
        return Availability.model_validate(self.model_dump(include=set(Availability.model_fields)))


class HoldRecord(CamelModel):
    """`holds/{id}`: live while `status` is held and `expires_at` is later than now (checked in transactions)."""

    id: str
    therapist_id: str
    patient_id: str
    start: datetime
    end: datetime
    until: datetime  # the end plus the therapist's buffer: the time it keeps from others
    expires_at: datetime
    purpose: HoldPurpose
    status: HoldStatus = "held"
    therapist_user_id: str
    price: Money  # the therapist's terms when the slot was held, carried into the appointment
    late_cancel_fee: int | None = None
    created_at: datetime
    delete_at: datetime  # the TTL field: Firestore deletes the document after this

    def is_live(self, now: datetime) -> bool:
        return self.status == "held" and self.expires_at > now

    def out(self) -> Hold:
        return Hold.model_validate(self.model_dump(include=set(Hold.model_fields)))


class AppointmentRecord(Appointment):
    """`appointments/{id}`."""

    therapist_user_id: str
    until: datetime
    late_cancel_fee: int | None = None
    meeting: Meeting | None = None
    updated_at: datetime

    def out(self) -> Appointment:
        return Appointment.model_validate(self.model_dump(include=set(Appointment.model_fields)))


class Busy(CamelModel):
    """One entry of a therapist's day: time kept by a hold (with its expiry) or an appointment (no expiry)."""

    start: datetime
    until: datetime
    expires_at: datetime | None = None

    def is_live(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


class DayRecord(CamelModel):
    """`therapistDays/{therapistId}_{YYYY-MM-DD}` (UTC day of each entry's start): every hold and appointment
    keeping time of that therapist, by hold or appointment id. Each claim reads and writes it in its transaction,
    so two claims of overlapping time never both commit, whatever the session lengths."""

    therapist_id: str
    day: date
    busy: dict[str, Busy] = Field(default_factory=dict)


class PatientHold(CamelModel):
    """`patientHolds/{patientId}`: the patient's current own hold (a new one releases it)."""

    hold_id: str


# ---------------------------------------------------------------- time and slots


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def day_key(therapist_id: str, day: date) -> str:
    return f"{therapist_id}_{day.isoformat()}"


def days_between(first: datetime, last: datetime) -> list[date]:
    """The UTC days from `first` to `last`, both included."""
    start, end = utc_day(first), utc_day(last)
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def days_touching(start: datetime, until: datetime) -> list[date]:
    """The days whose entries can overlap [start, until): an entry starts before `until` and keeps at most
    MAX_BLOCK, so it starts after `start - MAX_BLOCK`."""
    return days_between(start - MAX_BLOCK, until)


def overlaps(start: datetime, until: datetime, busy: Iterable[Busy], now: datetime) -> bool:
    """Whether [start, until) meets live time kept by anyone (an expired hold keeps nothing)."""
    return any(entry.is_live(now) and entry.start < until and start < entry.until for entry in busy)


def _local_ranges(rules: Availability, day: date) -> list[tuple[int, int]]:
    """(start, end) minutes of the local date's hours: its exceptions replace the week's ranges."""
    exceptions: list[AvailabilityException] = [item for item in rules.exceptions if item.date == day]
    if exceptions:
        return [
            (minutes_of(item.start or ""), minutes_of(item.end or ""))
            for item in exceptions
            if item.available and item.start is not None and item.end is not None
        ]
    weekday = WEEKDAYS[day.weekday()]
    weekly: list[WeeklyRange] = [item for item in rules.weekly if item.day == weekday]
    return [(minutes_of(item.start), minutes_of(item.end)) for item in weekly]


def _utc_of_local(day: date, minutes: int, zone: ZoneInfo) -> datetime | None:
    """The UTC time of a local wall time, or None when it does not exist (skipped by a DST change); an ambiguous
    one (repeated by a change back) is its first occurrence."""
    wall = datetime.combine(day, time()) + timedelta(minutes=minutes)
    local = wall.replace(tzinfo=zone, fold=0)
    moment = local.astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return moment


def rule_slots(rules: Availability, first: datetime, last: datetime) -> list[tuple[datetime, datetime]]:
    """Every (start, end) the rules offer with `first <= start < last`, ascending, ignoring bookings and notice:
    local starts step by session plus buffer from each range's start while the session fits the range."""
    zone = ZoneInfo(rules.timezone)
    session = timedelta(minutes=rules.session_minutes)
    step = rules.session_minutes + rules.buffer_minutes
    first_day = first.astimezone(zone).date() - timedelta(days=1)
    last_day = last.astimezone(zone).date() + timedelta(days=1)
    found: list[tuple[datetime, datetime]] = []
    day = first_day
    while day <= last_day:
        for range_start, range_end in _local_ranges(rules, day):
            minute = range_start
            while minute + rules.session_minutes <= range_end:
                moment = _utc_of_local(day, minute, zone)
                if moment is not None and first <= moment < last:
                    found.append((moment, moment + session))
                minute += step
        day += timedelta(days=1)
    return sorted(set(found))


def bookable_window(rules: Availability, now: datetime) -> tuple[datetime, datetime]:
    """[earliest, latest]: starts earlier than now + notice or later than now + horizon are not offered."""
    return now + timedelta(hours=rules.min_notice_hours), now + timedelta(days=rules.horizon_days)


def open_slots(
    rules: Availability, busy: Iterable[Busy], first: datetime, last: datetime, now: datetime
) -> list[tuple[datetime, datetime]]:
    """The slots of [first, last) a patient may hold now: within notice and horizon, not meeting live busy time
    (each slot keeps its session plus the buffer)."""
    earliest, latest = bookable_window(rules, now)
    kept = list(busy)
    buffer = timedelta(minutes=rules.buffer_minutes)
    return [
        (start, end)
        for start, end in rule_slots(rules, max(first, earliest), last)
        if start <= latest and not overlaps(start, end + buffer, kept, now)
    ]


def is_slot(rules: Availability, start: datetime, now: datetime) -> bool:
    """Whether `start` begins a slot of the rules that is within notice and horizon now (busy or not)."""
    earliest, latest = bookable_window(rules, now)
    if not earliest <= start <= latest:
        return False
    return any(found == start for found, _ in rule_slots(rules, start, start + timedelta(minutes=1)))


# ---------------------------------------------------------------- appointments


def payment_status_for(price: Money) -> PaymentStatus:
    return "due" if price.amount > 0 else "not_required"


def refund_decision(
    role: CancelledByRole, *, now: datetime, start: datetime, price: Money, late_cancel_fee: int | None
) -> Refund:
    """The cancellation policy: a patient cancelling at least 24 h before the start gets everything back; later,
    the therapist's late-cancel fee (default the whole price) is kept; a therapist, admin or erasure refunds all.
    `amount` is what goes back of the full price; part III refunds it out of what was really paid."""
    if role != "patient":
        return Refund(amount=price.amount, currency=price.currency, reason=role)
    if start - now >= FREE_CANCEL_NOTICE:
        return Refund(amount=price.amount, currency=price.currency, reason="patient_early")
    kept = price.amount if late_cancel_fee is None else min(late_cancel_fee, price.amount)
    return Refund(amount=price.amount - kept, currency=price.currency, reason="patient_late")


def settled_status(*, therapist_seen: bool, patient_seen: bool) -> AppointmentStatus:
    """A meeting both attended is completed; any other is a no-show."""
    return "completed" if therapist_seen and patient_seen else "no_show"


def appointment_page(records: list[AppointmentRecord], limit: int) -> AppointmentPage:
    """A page of `limit` appointments out of `limit + 1` read, with the cursor of the next when there is one."""
    page = records[:limit]
    next_cursor = None
    if len(records) > limit:
        next_cursor = cursors.encode(cursors.AfterTimeAndId(at=page[-1].start, id=page[-1].id))
    return AppointmentPage(items=[record.out() for record in page], next_cursor=next_cursor)
