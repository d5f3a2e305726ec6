"""The waitlist's use cases: patients wait for a therapist's time within a range; a freed slot becomes a 10-minute
offer (a hold in the patient's name) to the oldest waiting entry it fits, and an offer not booked in time passes on.

Every offer is made in ONE transaction: the line is read, the hold made (`scheduling.hold_for_patient_in` joins the
unit), the entry marked offered and the patient's in-app notice created. It is state-based, so a duplicate or late
`slot.freed` finds the slot held or booked (`SLOT_TAKEN`) and offers nothing; the toolkit's event-id claim makes
a redelivery a no-op besides. Firestore transactions read before they write, so each path reads everything first.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from bloom.core.errors import BloomError
from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.notifications import inbox
from bloom.platform.store.unit_of_work import UnitOfWork
from bloom.practice import errors as practice_errors
from bloom.practice import service as practice
from bloom.scheduling import errors as scheduling_errors
from bloom.scheduling import service as scheduling
from bloom.users.schemas import Caller
from bloom.waitlist import errors
from bloom.waitlist.models import ACTIVE, MAX_ACTIVE_ENTRIES, RETENTION, EntryRecord, first_in_line, offered
from bloom.waitlist.repository import WaitlistWork
from bloom.waitlist.schemas import JoinWaitlist, Offer, WaitlistEntries, WaitlistEntry

_log = get_logger(__name__)
OFFERS_PER_RUN = 100
_NOT_OFFERABLE = frozenset({scheduling_errors.SLOT_TAKEN.message, scheduling_errors.NOT_A_SLOT.message})


def offer_notification_id(hold_id: str) -> str:
    return f"waitlist-offer-{hold_id}"


def join_waitlist(
    caller: Caller, body: JoinWaitlist, *, now: datetime | None = None, units: type[WaitlistWork] = WaitlistWork
) -> WaitlistEntry:
    """`POST waitlist`: the caller waits for a time of the therapist within [from, to]."""
    moment = now or utcnow()
    if body.to <= moment:
        raise errors.WAITLIST_RANGE_PASSED.error()
    patient_id = caller.user.id
    record = EntryRecord(
        id=str(uuid.uuid4()),
        therapist_id=body.therapist_id,
        patient_id=patient_id,
        patient_uid=caller.auth_uid,
        from_=body.from_,
        to=body.to,
        status="waiting",
        offer=None,
        created_at=moment,
        updated_at=moment,
        delete_at=body.to + RETENTION,
    )

    def work(uow: WaitlistWork) -> None:
        if practice.therapist_user_id_in(uow, body.therapist_id) in (None, patient_id):
            raise practice_errors.THERAPIST_NOT_FOUND.error()
        active = [entry for entry in uow.entries.of_patient(patient_id) if entry.status in ACTIVE]
        if len(active) >= MAX_ACTIVE_ENTRIES:
            raise errors.TOO_MANY_WAITLIST_ENTRIES.error()
        uow.entries.create(record.id, record)

    units.run_in_transaction(work)
    _log.info("waitlist entry created", extra={"entryId": record.id})
    return record.out()


def list_entries(caller: Caller) -> WaitlistEntries:
    """`GET waitlist`: the caller's entries, newest first."""
    with WaitlistWork() as uow:
        found = uow.entries.of_patient(caller.user.id)
    found.sort(key=lambda entry: (entry.created_at, entry.id), reverse=True)
    return WaitlistEntries(items=[entry.out() for entry in found])


def leave_waitlist(caller: Caller, entry_id: str, *, now: datetime | None = None) -> WaitlistEntry:
    """`DELETE waitlist/:id`: the entry is cancelled (someone else's, or none: 404). An offer it held is released
    and passes on to the next in line; an entry already over is answered as it is."""
    moment = now or utcnow()

    def work(uow: WaitlistWork) -> tuple[EntryRecord, Offer | None]:
        entry = uow.entries.get(entry_id)
        if entry is None or entry.patient_id != caller.user.id:
            raise errors.WAITLIST_ENTRY_NOT_FOUND.error()
        if entry.status not in ACTIVE:
            return entry, None
        released = entry.offer if entry.status == "offered" else None
        if released is not None and not scheduling.release_hold_in(uow, released.hold_id, now=moment):
            released = None  # the hold was over already (the offer expired, or it was booked)
        uow.entries.change(entry.id, status="cancelled", updated_at=moment)
        return entry.model_copy(update={"status": "cancelled", "updated_at": moment}), released

    entry, released = WaitlistWork.run_in_transaction(work)
    if released is not None:
        offer_freed_slot(entry.therapist_id, released.start, released.end, now=moment)
    return entry.out()


def _offer_in(uow: UnitOfWork, therapist_id: str, start: datetime, end: datetime, now: datetime) -> EntryRecord | None:
    """Offer the slot to the first in line, in the caller's transaction: reads the line and the therapist's days,
    then writes the hold, the entry and the notice. None when nobody waits for it or it cannot be held."""
    work = WaitlistWork.join(uow)
    entry = first_in_line(work.entries.waiting_for(therapist_id), start, end)
    if entry is None:
        return None
    try:
        hold = scheduling.hold_for_patient_in(
            uow, patient_id=entry.patient_id, therapist_id=therapist_id, start=start, purpose="waitlist_offer", now=now
        )
    except BloomError as error:
        if error.message in _NOT_OFFERABLE:  # held or booked meanwhile, or no longer bookable: nothing to offer
            return None
        raise
    updated = offered(entry, Offer(hold_id=hold.id, expires_at=hold.expires_at, start=hold.start, end=hold.end), now)
    work.entries.save(entry.id, updated)
    notice = inbox.waitlist_offer(entry.id, hold.id, round((hold.expires_at - now) / timedelta(minutes=1)))
    inbox.notify_in(uow, entry.patient_uid, offer_notification_id(hold.id), notice)
    return updated


def offer_freed_slot(
    therapist_id: str, start: datetime, end: datetime, *, now: datetime | None = None
) -> WaitlistEntry | None:
    """A therapist's slot was freed (`slot.freed`): offer it to the oldest waiting entry it fits."""
    moment = now or utcnow()
    entry = WaitlistWork.run_in_transaction(lambda uow: _offer_in(uow, therapist_id, start, end, moment))
    if entry is not None:
        _log.info("waitlist offer made", extra={"entryId": entry.id})
    return entry.out() if entry is not None else None


def pass_on_expired_offers(now: datetime) -> int:
    """The every-minute job: each offer not booked by its expiry marks its entry expired, and its slot is offered to
    the next in line in the same transaction. Returns how many offers expired."""
    with WaitlistWork() as uow:
        over = uow.entries.offers_over(now, OFFERS_PER_RUN)
    expired = 0
    for entry in over:

        def expire(uow: WaitlistWork, entry_id: str = entry.id) -> bool:
            return _expire_in(uow, entry_id, now)

        expired += WaitlistWork.run_in_transaction(expire)
    return expired


def _expire_in(uow: WaitlistWork, entry_id: str, now: datetime) -> bool:
    entry = uow.entries.get(entry_id)
    if entry is None or entry.offer is None or not entry.offer_over(now):
        return False  # booked, cancelled or expired meanwhile
    _offer_in(uow, entry.therapist_id, entry.offer.start, entry.offer.end, now)  # reads first, then writes
    uow.entries.change(entry.id, status="expired", updated_at=now)
    return True


def record_booking(patient_id: str, therapist_id: str, start: datetime) -> int:
    """An appointment was booked (`appointment.booked`): the patient's entry whose offer was that slot is booked
    (also when its expiry was recorded first: the booking raced the job). Returns how many entries changed."""
    with WaitlistWork() as uow:
        candidates = [
            entry.id
            for entry in uow.entries.of_patient(patient_id)
            if entry.therapist_id == therapist_id and entry.offer is not None and entry.offer.start == start
        ]

    booked = 0
    for candidate in candidates:

        def work(uow: WaitlistWork, entry_id: str = candidate) -> bool:
            entry = uow.entries.get(entry_id)
            if entry is None or entry.status not in ("offered", "expired"):
                return False
            uow.entries.change(entry.id, status="booked", updated_at=utcnow())
            return True

        booked += WaitlistWork.run_in_transaction(work)
    return booked


def erase_waitlist_of(user_id: str, *, now: datetime | None = None) -> int:
    """A deleted user's entries go; a slot offered to them is released and passes on. Idempotent."""
    moment = now or utcnow()
    with WaitlistWork() as uow:
        offers = [entry for entry in uow.entries.of_patient(user_id) if entry.status == "offered"]
    for entry in offers:

        def release(uow: WaitlistWork, entry: EntryRecord = entry) -> bool:
            assert entry.offer is not None
            released = scheduling.release_hold_in(uow, entry.offer.hold_id, now=moment)
            uow.entries.delete(entry.id)
            return released

        if WaitlistWork.run_in_transaction(release) and entry.offer is not None:
            offer_freed_slot(entry.therapist_id, entry.offer.start, entry.offer.end, now=moment)
    with WaitlistWork() as uow:
        erased = uow.entries.delete_matching(patient_id=user_id)
    _log.info("waitlist entries erased", extra={"entries": erased + len(offers)})
    return erased + len(offers)
