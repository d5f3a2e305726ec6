"""Events the scheduling area publishes (ids and times only, never names or text), recorded in the transaction
of the change."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from bloom.platform.topics import declare_topic
from bloom.scheduling.schemas import CancelledByRole


class AppointmentBooked(BaseModel):
    appointment_id: str
    therapist_id: str
    patient_id: str
    start: datetime
    end: datetime
    booked_at: datetime


class AppointmentCancelled(BaseModel):
    appointment_id: str
    therapist_id: str
    patient_id: str
    start: datetime
    end: datetime
    cancelled_by_role: CancelledByRole
    cancelled_at: datetime


class AppointmentRescheduled(BaseModel):
    appointment_id: str
    therapist_id: str
    patient_id: str
    previous_start: datetime
    previous_end: datetime
    start: datetime
    end: datetime
    rescheduled_at: datetime


class SlotFreed(BaseModel):
    """Time of a therapist became free again: a cancellation, a reschedule's old time, a released or expired
    patient hold (never a waitlist offer's hold, which the waitlist passes on itself)."""

    therapist_id: str
    start: datetime
    end: datetime
    freed_at: datetime


APPOINTMENT_BOOKED = declare_topic("appointment.booked", AppointmentBooked, "An appointment was booked")
APPOINTMENT_CANCELLED = declare_topic("appointment.cancelled", AppointmentCancelled, "An appointment was cancelled")
APPOINTMENT_RESCHEDULED = declare_topic(
    "appointment.rescheduled", AppointmentRescheduled, "An appointment moved to another time"
)
SLOT_FREED = declare_topic("slot.freed", SlotFreed, "A therapist's time became bookable again")
