"""What other areas ask of scheduling (the waitlist, the calendar feed, reminders, telehealth): holds made and
released in their transactions, appointments read, meetings attached, attendance settled. The HTTP use cases
are in `availability`, `holds`, `appointments` and `erasure`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bloom.core.time import utcnow
from bloom.platform import cursors
from bloom.scheduling import errors
from bloom.scheduling.holds import hold_for_patient_in, release_hold_in
from bloom.scheduling.models import (
    AppointmentRecord,
    appointment_page,
    settled_status,
)
from bloom.scheduling.repository import SchedulingWork
from bloom.scheduling.schemas import (
    Appointment,
    AppointmentPage,
    Hold,
    Meeting,
    MeetingProvider,
)

__all__ = [  # the waitlist makes and releases holds in its own transactions
    "appointments_starting_between",
    "appointments_to_settle",
    "attach_meeting",
    "booked_and_cancelled_appointments_of",
    "get_appointment",
    "hold_for_patient_in",
    "hold_is_live",
    "holds_by_id",
    "release_hold_in",
    "settle_attendance",
    "therapist_meeting_provider",
]

PAGE_MAX = 100


def therapist_meeting_provider(therapist_id: str) -> MeetingProvider:
    with SchedulingWork() as uow:
        record = uow.availability.get(therapist_id)
    return record.meeting_provider if record is not None else "none"


def hold_is_live(hold_id: str, *, now: datetime | None = None) -> bool:
    with SchedulingWork() as uow:
        hold = uow.holds.get(hold_id)
    return hold is not None and hold.is_live(now or utcnow())


def holds_by_id(hold_ids: Iterable[str]) -> dict[str, Hold]:
    """The holds that exist among `hold_ids`, live or not, in one round trip."""
    with SchedulingWork() as uow:
        found = uow.holds.get_many(hold_ids)
    return {hold_id: hold.out() for hold_id, hold in found.items()}


def get_appointment(appointment_id: str) -> Appointment:
    """For other areas (no caller check): 404 APPOINTMENT_NOT_FOUND when there is none."""
    with SchedulingWork() as uow:
        record = uow.appointments.get(appointment_id)
    if record is None:
        raise errors.APPOINTMENT_NOT_FOUND.error()
    return record.out()


def appointments_starting_between(
    start: datetime, end: datetime, *, after: str | None = None, limit: int = PAGE_MAX
) -> AppointmentPage:
    """Booked appointments starting in [start, end), by start, in cursor pages (for reminders)."""
    position = cursors.decode(after, cursors.AfterTimeAndId)
    with SchedulingWork() as uow:
        found = uow.appointments.booked_starting(start, end, position, limit + 1)
    return appointment_page(found, limit)


def booked_and_cancelled_appointments_of(user_id: str) -> list[Appointment]:
    """Every booked or cancelled appointment where the user (by user id) is the patient or the therapist, by
    start (for the calendar feed)."""
    with SchedulingWork() as uow:
        found = uow.appointments.of_user(user_id)
    kept = [record.out() for record in found if record.status in ("booked", "cancelled")]
    return sorted(kept, key=lambda item: (item.start, item.id))


def appointments_to_settle(ended_before: datetime) -> list[Appointment]:
    """Booked appointments that ended at or before `ended_before` (the settle job passes now - 1 hour)."""
    with SchedulingWork() as uow:
        return [record.out() for record in uow.appointments.booked_ended_by(ended_before, PAGE_MAX)]


def attach_meeting(appointment_id: str, meeting: Meeting) -> Appointment | None:
    """Record the appointment's meeting (idempotent); a cancelled or unknown appointment is left alone (None)."""

    def work(uow: SchedulingWork) -> AppointmentRecord | None:
        record = uow.appointments.get(appointment_id)
        if record is None or record.status == "cancelled":
            return None
        if record.meeting != meeting:
            uow.appointments.change(record.id, meeting=meeting, updated_at=utcnow())
        return record.model_copy(update={"meeting": meeting})

    record = SchedulingWork.run_in_transaction(work)
    return record.out() if record is not None else None


def settle_attendance(appointment_id: str, *, therapist_seen: bool, patient_seen: bool) -> Appointment | None:
    """A booked appointment becomes completed (both seen) or no_show; anything else is left alone (idempotent;
    a cancelled one never moves). None when there is no such appointment."""

    def work(uow: SchedulingWork) -> AppointmentRecord | None:
        record = uow.appointments.get(appointment_id)
        if record is None or record.status != "booked":
            return record
        status = settled_status(therapist_seen=therapist_seen, patient_seen=patient_seen)
        uow.appointments.change(record.id, status=status, updated_at=utcnow())
        return record.model_copy(update={"status": status})

    record = SchedulingWork.run_in_transaction(work)
    return record.out() if record is not None else None
