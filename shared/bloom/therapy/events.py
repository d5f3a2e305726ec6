"""Events the therapy area publishes, for Slack notices, reporting and CRM. No emails, no names of users."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from bloom.platform.topics import declare_topic


class TherapyEvent(BaseModel):
    """What every therapy event says: which session, whose (public id, None when unmatched), which partner and
    access paid, and the therapist."""

    session_id: str
    booking_code: str
    user_id: str | None
    partner_id: str | None
    partner_access_id: str | None
    service_provider_name: str
    start_date_time: str


class TherapyBooked(TherapyEvent):
    """A booking reached us: `booked` (an access was charged), `rejected` (no eligible access: nothing charged,
    the team cancels it in Simplybook) or `unmatched` (no Bloom user found)."""

    outcome: Literal["booked", "rejected", "unmatched"]


class TherapyCancelled(TherapyEvent):
    """A booking was cancelled; `refunded` when the session it had charged went back to the access;
    `cancel_in_simplybook` when its user cancelled it and we could not (Simplybook's id unknown): the team must."""

    refunded: bool
    cancel_in_simplybook: bool = False


class TherapyRescheduled(TherapyEvent):
    rescheduled_from: str


class TherapyCompleted(TherapyEvent):
    completed_at: str


THERAPY_BOOKED = declare_topic("therapy.booked", TherapyBooked, "A therapy booking was recorded (booked or not)")
THERAPY_CANCELLED = declare_topic("therapy.cancelled", TherapyCancelled, "A therapy booking was cancelled")
THERAPY_RESCHEDULED = declare_topic("therapy.rescheduled", TherapyRescheduled, "A therapy booking moved")
THERAPY_COMPLETED = declare_topic("therapy.completed", TherapyCompleted, "A therapy session took place")
