"""The waitlist's use cases against the emulators, with a pinned clock: a freed slot becomes a 10-minute offer to the
oldest waiting entry it fits (hold, entry and notice in one transaction), a duplicate or late event offers nothing
more, an unused offer expires and passes on, a booked offer is recorded, leaving and erasure pass an offer on.

The stack's own subscribers also receive the events these calls record; they run on the real clock, for which
the pinned days (2030) are beyond the therapist's horizon, so they offer nothing: what a test sees is its calls'."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bloom.core.errors import BloomError
from bloom.scheduling import appointments, availability, holds
from bloom.scheduling import service as scheduling
from bloom.scheduling.schemas import AvailabilityBody, CancelAppointment, CreateAppointment, CreateHold
from bloom.waitlist import service
from bloom.waitlist.repository import EntriesRepository
from bloom.waitlist.schemas import JoinWaitlist, WaitlistEntry
from infra.stack_runner import RunningStack
from tests.support.events import unsettled_events
from tests.support.notices import assert_no_clinical_text, inbox, seed_therapist
from tests.support.scheduling import availability as availability_body
from tests.support.scheduling import patient_caller, therapist_caller
from tests.support.wait import eventually

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)  # a Monday
DR = therapist_caller("dr-user", "dr")
BOOKER, FIRST, SECOND, ELSEWHERE = (patient_caller(name) for name in ("booker", "first", "second", "elsewhere"))
OFFER = timedelta(minutes=10)


def at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    return NOW.replace(hour=hour, minute=minute) + timedelta(days=days)


def set_rules() -> None:
    seed_therapist("dr", "dr-user")
    availability.put_availability(DR, "dr", AvailabilityBody.model_validate(availability_body()), now=NOW)


def join(caller: Any, start: datetime, end: datetime, now: datetime = NOW) -> WaitlistEntry:
    body = JoinWaitlist.model_validate({"therapistId": "dr", "from": start, "to": end})
    return service.join_waitlist(caller, body, now=now)


def entry(entry_id: str) -> WaitlistEntry:
    found = EntriesRepository().get(entry_id)
    assert found is not None
    return found.out()


def refused(work: Any) -> str:
    with pytest.raises(BloomError) as raised:
        work()
    return str(raised.value.message)


def booked_then_cancelled(start: datetime) -> None:
    """The booker books `start` and cancels it: the slot is free again (what `slot.freed` announces)."""
    hold = holds.create_hold(BOOKER, CreateHold(therapist_id="dr", start=start), now=NOW)
    booked = appointments.book(BOOKER, CreateAppointment(hold_id=hold.id), now=NOW)
    appointments.cancel(BOOKER, booked.id, CancelAppointment(), now=NOW)


def test_a_freed_slot_is_offered_to_the_oldest_fitting_entry_once_then_passes_on_and_is_booked(
    stack: RunningStack,
) -> None:
    set_rules()
    elsewhere = join(ELSEWHERE, at(14), at(18), now=NOW - timedelta(hours=2))  # oldest, but the slot is not in it
    first = join(FIRST, at(9), at(12), now=NOW - timedelta(hours=1))
    second = join(SECOND, at(10), at(11), now=NOW)
    booked_then_cancelled(at(10))

    offered = service.offer_freed_slot("dr", at(10), at(10, 50), now=NOW)
    assert offered is not None and offered.id == first.id and offered.status == "offered"
    assert offered.offer is not None and offered.offer.expires_at == NOW + OFFER
    [hold] = scheduling.holds_by_id([offered.offer.hold_id]).values()
    assert (hold.patient_id, hold.start, hold.purpose) == ("first", at(10), "waitlist_offer")
    assert scheduling.hold_is_live(hold.id, now=NOW)
    [(notice_id, notice)] = inbox("uid-first").items()
    assert notice_id == f"waitlist-offer-{hold.id}" and notice.kind == "waitlist_offer" and notice.read_at is None
    assert hold.id in notice.link and first.id in notice.link
    assert_no_clinical_text(notice, "booker", "dr-user")
    assert (entry(second.id).status, entry(elsewhere.id).status) == ("waiting", "waiting")

    # a duplicate or late `slot.freed`: the slot is held, nothing more is offered
    assert service.offer_freed_slot("dr", at(10), at(10, 50), now=NOW + timedelta(minutes=1)) is None
    assert entry(second.id).status == "waiting" and len(inbox("uid-first")) == 1

    # the offer is unused: it expires and passes on, once however often the job runs
    assert service.pass_on_expired_offers(NOW + OFFER - timedelta(seconds=1)) == 0
    passed_at = NOW + OFFER
    assert service.pass_on_expired_offers(passed_at) == 1
    assert service.pass_on_expired_offers(passed_at) == 0
    assert entry(first.id).status == "expired"
    now_second = entry(second.id)
    assert now_second.status == "offered" and now_second.offer is not None
    assert now_second.offer.hold_id != hold.id and now_second.offer.expires_at == passed_at + OFFER
    assert list(inbox("uid-second")) == [f"waitlist-offer-{now_second.offer.hold_id}"]
    assert refused(lambda: appointments.book(FIRST, CreateAppointment(hold_id=hold.id), now=passed_at)) in (
        "HOLD_EXPIRED",
        "HOLD NOT FOUND",
    )

    # the second books the offer: recorded as booked, and the job leaves it alone
    appointments.book(SECOND, CreateAppointment(hold_id=now_second.offer.hold_id), now=passed_at + timedelta(minutes=5))
    service.record_booking("second", "dr", at(10))
    assert entry(second.id).status == "booked"
    assert service.pass_on_expired_offers(passed_at + timedelta(hours=1)) == 0
    assert entry(second.id).status == "booked" and entry(elsewhere.id).status == "waiting"


def test_a_slot_nobody_can_take_is_offered_to_nobody(stack: RunningStack) -> None:
    set_rules()
    waiting = join(FIRST, at(9), at(12))
    hold = holds.create_hold(BOOKER, CreateHold(therapist_id="dr", start=at(10)), now=NOW)  # taken again at once
    assert service.offer_freed_slot("dr", at(10), at(10, 50), now=NOW) is None
    assert service.offer_freed_slot("dr", at(10, 30), at(11, 20), now=NOW) is None  # not a slot
    assert entry(waiting.id).status == "waiting" and inbox("uid-first") == {}
    assert scheduling.hold_is_live(hold.id, now=NOW)


def test_an_offer_booked_after_its_expiry_was_recorded_is_still_booked(stack: RunningStack) -> None:
    set_rules()
    waiting = join(FIRST, at(9), at(12))
    booked_then_cancelled(at(10))
    offer = service.offer_freed_slot("dr", at(10), at(10, 50), now=NOW)
    assert offer is not None and offer.offer is not None
    appointments.book(FIRST, CreateAppointment(hold_id=offer.offer.hold_id), now=NOW + timedelta(minutes=9))
    eventually(lambda: unsettled_events("appointment.booked"), lambda left: not left)  # the stack's subscriber
    assert entry(waiting.id).status == "booked"
    assert service.pass_on_expired_offers(NOW + OFFER) == 0
    # the job ran before the booking's event arrived: its expiry is recorded, and the booking still wins
    EntriesRepository().change(waiting.id, status="expired")
    assert service.record_booking("first", "dr", at(10)) == 1
    assert service.record_booking("first", "dr", at(10)) == 0
    assert entry(waiting.id).status == "booked"


def test_leaving_releases_an_offer_to_the_next_in_line_and_others_entries_are_not_found(stack: RunningStack) -> None:
    set_rules()
    first = join(FIRST, at(9), at(12), now=NOW - timedelta(minutes=1))
    second = join(SECOND, at(9), at(12))
    booked_then_cancelled(at(10))
    offer = service.offer_freed_slot("dr", at(10), at(10, 50), now=NOW)
    assert offer is not None and offer.offer is not None

    assert refused(lambda: service.leave_waitlist(SECOND, first.id, now=NOW)) == "WAITLIST ENTRY NOT FOUND"
    assert refused(lambda: service.leave_waitlist(SECOND, "missing", now=NOW)) == "WAITLIST ENTRY NOT FOUND"
    assert [item.id for item in service.list_entries(SECOND).items] == [second.id]

    left = service.leave_waitlist(FIRST, first.id, now=NOW + timedelta(minutes=2))
    assert left.status == "cancelled"
    assert not scheduling.hold_is_live(offer.offer.hold_id, now=NOW + timedelta(minutes=2))
    passed = entry(second.id)
    assert passed.status == "offered" and passed.offer is not None and passed.offer.start == at(10)
    assert service.leave_waitlist(FIRST, first.id, now=NOW).status == "cancelled"  # again: as it is


def test_joining_needs_a_therapist_a_range_still_ahead_and_a_bounded_number_of_entries(stack: RunningStack) -> None:
    body = JoinWaitlist.model_validate({"therapistId": "nobody", "from": at(9), "to": at(12)})
    assert refused(lambda: service.join_waitlist(FIRST, body, now=NOW)) == "THERAPIST NOT FOUND"
    set_rules()
    assert refused(lambda: join(patient_caller("dr-user"), at(9), at(12))) == "THERAPIST NOT FOUND"  # their own
    assert refused(lambda: join(FIRST, at(6), at(7))) == "WAITLIST_RANGE_PASSED"
    for day in range(10):
        join(FIRST, at(9, days=day), at(12, days=day))
    assert refused(lambda: join(FIRST, at(9, days=11), at(12, days=11))) == "TOO_MANY_WAITLIST_ENTRIES"
    assert len(service.list_entries(FIRST).items) == 10
    with pytest.raises(ValueError):
        JoinWaitlist.model_validate({"therapistId": "dr", "from": at(12), "to": at(9)})


def test_erasure_removes_the_entries_and_passes_an_offer_on(stack: RunningStack) -> None:
    set_rules()
    mine = join(FIRST, at(9), at(12), now=NOW - timedelta(minutes=1))
    join(FIRST, at(9, days=1), at(12, days=1))
    theirs = join(SECOND, at(9), at(12))
    booked_then_cancelled(at(10))
    offer = service.offer_freed_slot("dr", at(10), at(10, 50), now=NOW)
    assert offer is not None and offer.id == mine.id

    assert service.erase_waitlist_of("first", now=NOW + timedelta(minutes=1)) == 2
    assert service.erase_waitlist_of("first", now=NOW + timedelta(minutes=1)) == 0
    assert service.list_entries(FIRST).items == []
    assert entry(theirs.id).status == "offered"
