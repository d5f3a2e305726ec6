"""Holds: a slot claimed for 10 minutes in a transaction (one winner of concurrent claims, one own hold per
patient), released, or swept once expired (`slot.freed` once each).

Never double-booked, by construction: every hold and appointment keeps its time (session plus buffer) as an
entry of its therapist's day document (`therapistDays`), and every claim reads the days its time can touch and
writes its entry in one transaction, so of two claims of overlapping time only one commits; the other is retried
and sees the first. An expired hold keeps nothing: each transaction compares `expiresAt` with its clock.
Someone else's hold or appointment id is answered like an unknown one (404). Use cases take `now` for tests.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.platform.store.unit_of_work import UnitOfWork
from bloom.scheduling import errors
from bloom.scheduling.events import (
    SLOT_FREED,
    SlotFreed,
)
from bloom.scheduling.models import (
    CLAIM_ATTEMPTS,
    HOLD_MINUTES,
    HOLD_RETENTION,
    MAX_BLOCK,
    Busy,
    HoldRecord,
    HoldStatus,
    days_touching,
    is_slot,
    overlaps,
)
from bloom.scheduling.repository import SchedulingWork
from bloom.scheduling.schemas import (
    CreateHold,
    Hold,
    HoldPurpose,
)
from bloom.users.schemas import Caller

_log = get_logger(__name__)


def hold_for_patient_in(
    uow: UnitOfWork,
    *,
    patient_id: str,
    therapist_id: str,
    start: datetime,
    purpose: HoldPurpose,
    now: datetime | None = None,
) -> Hold:
    """Claim a slot for a patient for 10 minutes, in the caller's unit of work (a transaction, or one run
    optimistically: every document the claim depends on is written only if unchanged). A patient's own hold (`patient`)
    releases their previous one; a waitlist offer's hold (`waitlist_offer`) leaves it alone.
    400 NOT_A_SLOT, 409 SLOT_TAKEN."""
    work = SchedulingWork.join(uow)
    moment = now or utcnow()
    pointer_wanted = [(work.patient_holds, patient_id)] if purpose == "patient" else []
    days = days_touching(start, start + MAX_BLOCK)
    busy, fetched = work.fetch_days(therapist_id, days, also=[(work.availability, therapist_id), *pointer_wanted])
    rules = fetched.get(work.availability, therapist_id)
    if rules is None or rules.therapist_user_id == patient_id or not is_slot(rules, start, moment):
        raise errors.NOT_A_SLOT.error()
    previous: HoldRecord | None = None
    pointer = fetched.get(work.patient_holds, patient_id) if purpose == "patient" else None
    if pointer is not None:
        previous = work.holds.get(pointer.hold_id)
        if previous is not None and not previous.is_live(moment):
            previous = None
    end = start + timedelta(minutes=rules.session_minutes)
    until = end + timedelta(minutes=rules.buffer_minutes)
    others = [entry for key, entry in busy.items() if previous is None or key != previous.id]
    if overlaps(start, until, others, moment):
        raise errors.SLOT_TAKEN.error()
    expires = moment + timedelta(minutes=HOLD_MINUTES)
    record = HoldRecord(
        id=str(uuid.uuid4()),
        therapist_id=therapist_id,
        patient_id=patient_id,
        start=start,
        end=end,
        until=until,
        expires_at=expires,
        purpose=purpose,
        therapist_user_id=rules.therapist_user_id,
        price=rules.price,
        late_cancel_fee=rules.late_cancel_fee,
        created_at=moment,
        delete_at=expires + HOLD_RETENTION,
    )
    kept = Busy(start=start, until=until, expires_at=expires)
    same_therapist = previous is not None and previous.therapist_id == therapist_id
    freed = {previous.id: previous.start} if previous is not None and same_therapist else {}
    work.claim_days(therapist_id, days, fetched, keep={record.id: kept}, free=freed)
    if purpose == "patient":
        work.claim_patient_hold(patient_id, record.id, fetched)
    work.holds.create(record.id, record)
    if previous is not None:
        finish_hold(work, previous, "released", moment, free_time=not same_therapist)
    return record.out()


def create_hold(caller: Caller, body: CreateHold, *, now: datetime | None = None) -> Hold:
    """`POST holds`: the caller holds a slot (one winner of concurrent requests). Without locks: the claim writes
    only if the days it read are unchanged, so simultaneous claimants never wait on each other's locks; the
    losers read again and see the winner (409)."""

    def work(uow: SchedulingWork) -> Hold:
        return hold_for_patient_in(
            uow, patient_id=caller.user.id, therapist_id=body.therapist_id, start=body.start, purpose="patient", now=now
        )

    hold = SchedulingWork.run_optimistically(work, max_attempts=CLAIM_ATTEMPTS)
    _log.info("slot held", extra={"holdId": hold.id})
    return hold


def finish_hold(
    uow: SchedulingWork, hold: HoldRecord, status: HoldStatus, now: datetime, *, free_time: bool = True
) -> None:
    """A live hold ends without an appointment (released or expired): its time is free again, announced unless
    it was a waitlist offer (the waitlist passes that on itself)."""
    uow.holds.change(hold.id, status=status)
    if free_time:  # else the caller frees it with its own claim of the same days
        uow.days.apply(hold.therapist_id, keep={}, free={hold.id: hold.start})
    if hold.purpose == "patient":
        uow.emit(SLOT_FREED, SlotFreed(therapist_id=hold.therapist_id, start=hold.start, end=hold.end, freed_at=now))


def release_hold_in(uow: UnitOfWork, hold_id: str, *, now: datetime | None = None) -> bool:
    """Release a live hold in the caller's transaction; False when it was no longer live (nothing changes)."""
    work = SchedulingWork.join(uow)
    moment = now or utcnow()
    hold = work.holds.get(hold_id)
    if hold is None or not hold.is_live(moment):
        return False
    finish_hold(work, hold, "released", moment)
    return True


def release_hold(caller: Caller, hold_id: str, *, now: datetime | None = None) -> Hold:
    """`DELETE holds/:id`: the hold's patient releases it (a hold no longer live is left as it is)."""
    moment = now or utcnow()

    def work(uow: SchedulingWork) -> HoldRecord:
        hold = uow.holds.get(hold_id)
        if hold is None or hold.patient_id != caller.user.id:
            raise errors.HOLD_NOT_FOUND.error()
        if hold.is_live(moment):
            finish_hold(uow, hold, "released", moment)
        return hold

    return SchedulingWork.run_in_transaction(work, max_attempts=CLAIM_ATTEMPTS).out()


def sweep_expired_holds(*, now: datetime | None = None) -> int:
    """The every-minute job: each patient hold that expired unused is marked expired, its time freed and
    `slot.freed` emitted, once (a transaction per hold; a hold booked or released meanwhile is left alone)."""
    moment = now or utcnow()
    with SchedulingWork() as uow:
        expired = uow.holds.expired_patient_holds(moment)
    swept = 0
    for candidate in expired:

        def work(uow: SchedulingWork, hold_id: str = candidate.id) -> bool:
            hold = uow.holds.get(hold_id)
            if hold is None or hold.status != "held" or hold.expires_at > moment:
                return False
            finish_hold(uow, hold, "expired", moment)
            return True

        swept += SchedulingWork.run_in_transaction(work)
    if swept:
        _log.info("expired holds swept", extra={"holds": swept})
    return swept
