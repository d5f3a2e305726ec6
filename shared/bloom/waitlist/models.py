"""The waitlist's stored entries and the rules that need no I/O: which entry a freed slot goes to, and when an
offer is over."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from bloom.waitlist.schemas import EntryStatus, Offer, WaitlistEntry

MAX_ACTIVE_ENTRIES = 10  # waiting or offered, per patient
ACTIVE: tuple[EntryStatus, ...] = ("waiting", "offered")
RETENTION = timedelta(days=90)  # a finished entry is deleted (TTL) this long after its range ends


class EntryRecord(WaitlistEntry):
    """`waitlistEntries/{id}`."""

    patient_uid: str  # the Firebase uid of the patient's inbox, for the offer's notification
    updated_at: datetime
    delete_at: datetime  # the TTL field: Firestore deletes the document after this

    def out(self) -> WaitlistEntry:
        return WaitlistEntry.model_validate(self.model_dump(include=set(WaitlistEntry.model_fields)))

    def covers(self, start: datetime, end: datetime) -> bool:
        """Whether a slot [start, end) lies within the entry's range."""
        return self.from_ <= start and end <= self.to

    def offer_over(self, now: datetime) -> bool:
        return self.status == "offered" and self.offer is not None and self.offer.expires_at <= now


def first_in_line(waiting: Iterable[EntryRecord], start: datetime, end: datetime) -> EntryRecord | None:
    """The oldest waiting entry whose range holds the slot (ties by id, so every reader picks the same one)."""
    fitting = [entry for entry in waiting if entry.status == "waiting" and entry.covers(start, end)]
    return min(fitting, key=lambda entry: (entry.created_at, entry.id), default=None)


def offered(entry: EntryRecord, offer: Offer, now: datetime) -> EntryRecord:
    return entry.model_copy(update={"status": "offered", "offer": offer, "updated_at": now})
