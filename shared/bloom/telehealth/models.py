"""The telehealth area's stored record (`meetings/{appointmentId}`) and its rules that need no I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from bloom.core.models import CamelModel
from bloom.telehealth.providers import ProviderName

# creating: intent recorded before the provider was asked (a lost answer is looked up, not made twice);
# created: the provider answered; cancelled: the appointment was cancelled and its meeting is being removed;
# deleted: removed (or never made: a cancellation that came first leaves this tombstone).
MeetingStatus = Literal["creating", "created", "cancelled", "deleted"]
Party = Literal["therapist", "patient"]


class MeetingRecord(CamelModel):
    """An appointment's meeting: the provider's id for it, its link, and what Zoom told us about attendance."""

    appointment_id: str
    provider: ProviderName | None
    status: MeetingStatus
    meeting_id: str | None = None
    join_url: str | None = None
    therapist_seen: bool = False
    patient_seen: bool = False
    ended_at: datetime | None = None
    updated_at: datetime

    @property
    def has_attendance(self) -> bool:
        """Whether the provider told us anyone joined."""
        return self.therapist_seen or self.patient_seen


def party_of(participant_user_id: str, host_id: str) -> Party:
    """Who joined a Zoom meeting: the therapist is the participant signed in as the meeting's host (Zoom reports
    the host's user id); anyone else in the meeting is the patient, whom the therapist admitted from the waiting
    room. A participant not signed in to Zoom has no user id, so is never taken for the host."""
    return "therapist" if participant_user_id and participant_user_id == host_id else "patient"
