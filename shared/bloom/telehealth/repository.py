"""The only code that knows the telehealth area's documents: `meetings/{appointmentId}`."""

from __future__ import annotations

from bloom.platform.store.repository import Repository
from bloom.platform.store.unit_of_work import UnitOfWork, repository
from bloom.telehealth.models import MeetingRecord


class MeetingsRepository(Repository[MeetingRecord]):
    collection_name = "meetings"
    model = MeetingRecord

    def by_meeting_id(self, meeting_id: str) -> MeetingRecord | None:
        """The record of the provider's meeting (Zoom's meeting ids and Meet's space names never collide)."""
        found = self.find_one("meetingId", meeting_id)
        return found[1] if found else None


class TelehealthWork(UnitOfWork):
    meetings = repository(MeetingsRepository)
