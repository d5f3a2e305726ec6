"""The scheduling area's documents: `availability/{therapistId}`, `holds/{id}` (TTL on `deleteAt`),
`appointments/{id}`, `therapistDays/{therapistId}_{day}` (the busy time of a therapist's UTC day) and
`patientHolds/{patientId}` (a patient's current hold)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from bloom.platform.cursors import AfterTimeAndId
from bloom.platform.store.client import count_round_trip
from bloom.platform.store.indexes import composite_index, ttl_field, unindexed_field
from bloom.platform.store.repository import Filter, Repository
from bloom.platform.store.unit_of_work import Fetched, UnitOfWork, repository
from bloom.scheduling.models import (
    AppointmentRecord,
    AvailabilityRecord,
    Busy,
    DayRecord,
    HoldRecord,
    PatientHold,
    day_key,
    utc_day,
)

APPOINTMENTS = "appointments"
HOLDS = "holds"
HOLD_TTL = ttl_field(HOLDS, "deleteAt")
DAY_BUSY = unindexed_field("therapistDays", "busy")
APPOINTMENTS_OF_PATIENT = composite_index(
    APPOINTMENTS, ("patientId", "ASCENDING"), ("start", "ASCENDING"), ("__name__", "ASCENDING")
)
APPOINTMENTS_OF_THERAPIST = composite_index(
    APPOINTMENTS, ("therapistId", "ASCENDING"), ("start", "ASCENDING"), ("__name__", "ASCENDING")
)
APPOINTMENTS_BY_STATUS_AND_START = composite_index(
    APPOINTMENTS, ("status", "ASCENDING"), ("start", "ASCENDING"), ("__name__", "ASCENDING")
)
APPOINTMENTS_BY_STATUS_AND_END = composite_index(APPOINTMENTS, ("status", "ASCENDING"), ("end", "ASCENDING"))
HOLDS_TO_SWEEP = composite_index(HOLDS, ("purpose", "ASCENDING"), ("status", "ASCENDING"), ("expiresAt", "ASCENDING"))
PARTY_FIELDS = {"patient": "patientId", "therapist": "therapistId"}
OF_USER_MAX = 1000
SWEEP_PAGE = 200


class AvailabilityRepository(Repository[AvailabilityRecord]):
    collection_name = "availability"
    model = AvailabilityRecord

    def to_doc(self, item: AvailabilityRecord) -> dict[str, Any]:
        doc = super().to_doc(item)
        doc["exceptions"] = [entry.model_dump(by_alias=True, mode="json") for entry in item.exceptions]  # dates as text
        return doc

    def of_therapist_user(self, user_id: str) -> list[AvailabilityRecord]:
        return [item for _, item in self.select([Filter("therapistUserId", "==", user_id)], limit=1)]


class HoldsRepository(Repository[HoldRecord]):
    collection_name = HOLDS
    model = HoldRecord

    def expired_patient_holds(self, now: datetime) -> list[HoldRecord]:
        """Patient holds still marked held whose expiry has passed (oldest first), for the sweep."""
        rows = self.select(
            [Filter("purpose", "==", "patient"), Filter("status", "==", "held"), Filter("expiresAt", "<=", now)],
            order_by=[("expiresAt", "ASCENDING")],
            limit=SWEEP_PAGE,
            index=HOLDS_TO_SWEEP,
        )
        return [item for _, item in rows]

    def of_party(self, field: str, value: str) -> list[HoldRecord]:
        """Holds of a patient (`patient`) or a therapist (`therapist`), for erasure."""
        return [item for _, item in self.select([Filter(PARTY_FIELDS[field], "==", value)], limit=OF_USER_MAX)]


class AppointmentsRepository(Repository[AppointmentRecord]):
    collection_name = APPOINTMENTS
    model = AppointmentRecord

    def page_of(
        self,
        party: str,
        party_id: str,
        first: datetime | None,
        last: datetime | None,
        after: AfterTimeAndId | None,
        limit: int,
    ) -> list[AppointmentRecord]:
        """One query: a patient's or therapist's appointments starting in [first, last), by start, after a cursor."""
        return self._by_start(Filter(PARTY_FIELDS[party], "==", party_id), first, last, after, limit)

    def booked_starting(
        self, first: datetime, last: datetime, after: AfterTimeAndId | None, limit: int
    ) -> list[AppointmentRecord]:
        """One query: booked appointments starting in [first, last), by start, after a cursor."""
        return self._by_start(Filter("status", "==", "booked"), first, last, after, limit)

    def _by_start(
        self,
        equality: Filter,
        first: datetime | None,
        last: datetime | None,
        after: AfterTimeAndId | None,
        limit: int,
    ) -> list[AppointmentRecord]:
        from google.cloud.firestore_v1.field_path import FieldPath

        since = [Filter("start", ">=", first)] if first is not None else []
        until = [Filter("start", "<", last)] if last is not None else []
        query = self.query([equality, *since, *until])
        if query is None:
            return []
        query = query.order_by("start").order_by(FieldPath.document_id())
        if after is not None:
            query = query.start_after({"start": after.at, FieldPath.document_id(): self.ref(after.id)})
        count_round_trip()
        return [AppointmentRecord.model_validate(s.to_dict()) for s in query.limit(limit).stream()]

    def booked_ended_by(self, moment: datetime, limit: int) -> list[AppointmentRecord]:
        rows = self.select(
            [Filter("status", "==", "booked"), Filter("end", "<=", moment)],
            order_by=[("end", "ASCENDING")],
            limit=limit,
            index=APPOINTMENTS_BY_STATUS_AND_END,
        )
        return [item for _, item in rows]

    def of_user(self, user_id: str) -> list[AppointmentRecord]:
        """Appointments where the user is the patient or the therapist (by their user id)."""
        found: dict[str, AppointmentRecord] = {}
        for field in ("patientId", "therapistUserId"):
            for doc_id, item in self.select([Filter(field, "==", user_id)], limit=OF_USER_MAX):
                found[doc_id] = item
        return list(found.values())


class DaysRepository(Repository[DayRecord]):
    collection_name = "therapistDays"
    model = DayRecord

    def apply(self, therapist_id: str, *, keep: dict[str, Busy], free: dict[str, datetime]) -> None:
        """Add entries (`keep`: id → entry) and remove entries (`free`: id → its start) of a therapist's days,
        one write per day document (created when missing)."""
        self.write(therapist_id, day_changes(keep, free))

    def write(self, therapist_id: str, changes: dict[date, dict[str, Any]]) -> None:
        from google.cloud.firestore_v1.field_path import FieldPath

        for day, entries in changes.items():
            data = {"therapistId": therapist_id, "day": day.isoformat(), "busy": entries}
            fields = [FieldPath("therapistId"), FieldPath("day"), *(FieldPath("busy", key) for key in entries)]
            self.session.set(self.ref(day_key(therapist_id, day)), data, merge=fields)


def day_changes(keep: dict[str, Busy], free: dict[str, datetime]) -> dict[date, dict[str, Any]]:
    """Entries to write per day: the kept ones, and a delete for each freed one (an id both freed and kept is
    kept)."""
    from google.cloud.firestore import DELETE_FIELD

    changes: dict[date, dict[str, Any]] = {}
    for entry_id, start in free.items():
        changes.setdefault(utc_day(start), {})[entry_id] = DELETE_FIELD
    for entry_id, entry in keep.items():
        changes.setdefault(utc_day(entry.start), {})[entry_id] = entry.model_dump(by_alias=True)
    return changes


class PatientHoldsRepository(Repository[PatientHold]):
    collection_name = "patientHolds"
    model = PatientHold


class SchedulingWork(UnitOfWork):
    availability = repository(AvailabilityRepository)
    holds = repository(HoldsRepository)
    appointments = repository(AppointmentsRepository)
    days = repository(DaysRepository)
    patient_holds = repository(PatientHoldsRepository)

    def claim_days(
        self,
        therapist_id: str,
        read: Sequence[date],
        fetched: Fetched,
        *,
        keep: dict[str, Busy],
        free: dict[str, datetime],
    ) -> None:
        """`days.apply` for a claim that may run without locks (`run_optimistically`): every day it read is
        written only if unchanged since (created if it was missing), so of two claims that read a day only one
        commits and the other reads again. Write this first: later writes to the same day do not disturb it."""
        from google.cloud.firestore import DELETE_FIELD
        from google.cloud.firestore_v1.field_path import FieldPath

        changes = day_changes(keep, free)
        for day in read:
            doc_id = day_key(therapist_id, day)
            entries = changes.pop(day, {})
            version = fetched.version(self.days, doc_id)
            if version is None:
                kept = {key: value for key, value in entries.items() if value is not DELETE_FIELD}
                data = {"therapistId": therapist_id, "day": day.isoformat(), "busy": kept}
                self.create(self.days.ref(doc_id), data)
            else:
                fields = {FieldPath("busy", key).to_api_repr(): value for key, value in entries.items()}
                self.update_if_unchanged(self.days.ref(doc_id), {"therapistId": therapist_id, **fields}, version)
        self.days.write(therapist_id, changes)

    def claim_patient_hold(self, patient_id: str, hold_id: str, fetched: Fetched) -> None:
        """Point the patient's current hold at `hold_id`, only if the pointer is unchanged since `fetched` read it
        (one own hold per patient, whatever the patient's tabs do at once)."""
        ref = self.patient_holds.ref(patient_id)
        version = fetched.version(self.patient_holds, patient_id)
        if version is None:
            self.create(ref, {"holdId": hold_id})
        else:
            self.update_if_unchanged(ref, {"holdId": hold_id}, version)

    def fetch_days(
        self, therapist_id: str, days: Iterable[date], also: Sequence[tuple[Repository[Any], str]] = ()
    ) -> tuple[dict[str, Busy], Fetched]:
        """The busy entries (by hold or appointment id) of a therapist's days, and any other documents named in
        `also`, in one round trip."""
        day_ids = [day_key(therapist_id, day) for day in days]
        fetched = self.fetch([*also, *((self.days, doc_id) for doc_id in day_ids)])
        busy: dict[str, Busy] = {}
        for doc_id in day_ids:
            record = fetched.get(self.days, doc_id)
            if record is not None:
                busy.update(record.busy)
        return busy, fetched
