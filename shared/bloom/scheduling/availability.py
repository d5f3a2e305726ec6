"""Availability (set and read by that therapist or a practice admin) and the slots computed from it."""

from __future__ import annotations

from datetime import datetime, timedelta

from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.practice import errors as practice_errors
from bloom.practice import service as practice
from bloom.scheduling import errors
from bloom.scheduling.models import (
    MAX_BLOCK,
    MAX_SLOT_RANGE,
    AvailabilityRecord,
    days_between,
    open_slots,
)
from bloom.scheduling.repository import SchedulingWork
from bloom.scheduling.schemas import (
    Availability,
    AvailabilityBody,
    Slot,
    SlotsQuery,
)
from bloom.users.schemas import Caller

_log = get_logger(__name__)


def manages(caller: Caller, therapist_id: str) -> bool:
    return caller.is_practice_admin or (caller.is_therapist and caller.user.therapist_profile_id == therapist_id)


def put_availability(
    caller: Caller, therapist_id: str, body: AvailabilityBody, *, now: datetime | None = None
) -> Availability:
    """That therapist or a practice admin sets the whole availability; anyone else gets 404."""
    if not manages(caller, therapist_id):
        raise practice_errors.THERAPIST_NOT_FOUND.error()
    moment = now or utcnow()

    def work(uow: SchedulingWork) -> AvailabilityRecord:
        if caller.user.therapist_profile_id == therapist_id:
            user_id: str | None = caller.user.id
        else:
            user_id = practice.therapist_user_id_in(uow, therapist_id)
        if user_id is None:
            raise practice_errors.THERAPIST_NOT_FOUND.error()
        record = AvailabilityRecord(
            **body.model_dump(), therapist_id=therapist_id, therapist_user_id=user_id, updated_at=moment
        )
        uow.availability.save(therapist_id, record)
        return record

    return SchedulingWork.run_in_transaction(work).out()


def get_availability(caller: Caller, therapist_id: str) -> Availability:
    if not manages(caller, therapist_id):
        raise practice_errors.THERAPIST_NOT_FOUND.error()
    with SchedulingWork() as uow:
        record = uow.availability.get(therapist_id)
    if record is None:
        raise errors.AVAILABILITY_NOT_FOUND.error()
    return record.out()


def slots(therapist_id: str, query: SlotsQuery, *, now: datetime | None = None) -> list[Slot]:
    """The slots of [from, to) a patient may hold now, in one round trip: the availability and every day
    document the range's slots can touch, read together."""
    if not timedelta(0) < query.to - query.from_ <= MAX_SLOT_RANGE:
        raise errors.RANGE_TOO_LONG.error()
    with SchedulingWork() as uow:
        days = days_between(query.from_ - MAX_BLOCK, query.to + MAX_BLOCK)
        busy, fetched = uow.fetch_days(therapist_id, days, also=[(uow.availability, therapist_id)])
    rules = fetched.get(uow.availability, therapist_id)
    if rules is None:
        return []
    found = open_slots(rules, busy.values(), query.from_, query.to, now or utcnow())
    return [Slot(start=start, end=end) for start, end in found]
