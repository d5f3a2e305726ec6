"""Scheduling's use cases against the emulators, with a pinned clock: holds, one hold per patient, expiry (checked
in transactions; the sweep announces it once), booking, cancelling with the refund decision, rescheduling, rules
changing under existing bookings, what other areas ask, and erasure. Events are read from the outbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bloom.core.errors import BloomError
from bloom.scheduling import appointments, availability, erasure, holds, service
from bloom.scheduling.repository import SchedulingWork
from bloom.scheduling.schemas import (
    AvailabilityBody,
    CancelAppointment,
    CreateAppointment,
    CreateHold,
    Meeting,
    RescheduleAppointment,
    SlotsQuery,
)
from infra.stack_runner import RunningStack
from tests.support.events import recorded_events
from tests.support.scheduling import admin_caller, patient_caller, therapist_caller
from tests.support.scheduling import availability as availability_body

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)  # a Monday
DR = therapist_caller("dr-user", "dr")
PAT, OTHER = patient_caller("pat"), patient_caller("other")


def at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    return NOW.replace(hour=hour, minute=minute) + timedelta(days=days)


def set_rules(now: datetime = NOW, **changes: Any) -> None:
    availability.put_availability(DR, "dr", AvailabilityBody.model_validate(availability_body(**changes)), now=now)


def refused(work: Any) -> str:
    with pytest.raises(BloomError) as raised:
        work()
    return str(raised.value.message)


def freed(therapist_id: str = "dr") -> list[tuple[str, str]]:
    found = [json.loads(entry.data) for entry in recorded_events("slot.freed")]
    return sorted((item["start"], item["end"]) for item in found if item["therapist_id"] == therapist_id)


def slot_starts(first: datetime, last: datetime, now: datetime = NOW) -> list[datetime]:
    query = SlotsQuery.model_validate({"from": first, "to": last})
    return [slot.start for slot in availability.slots("dr", query, now=now)]


def test_hold_book_cancel(stack: RunningStack) -> None:
    set_rules()
    hold = holds.create_hold(PAT, CreateHold(therapist_id="dr", start=at(10)), now=NOW)
    assert (hold.end, hold.expires_at, hold.purpose) == (at(10, 50), NOW + timedelta(minutes=10), "patient")
    assert at(10) not in slot_starts(at(9), at(12))
    assert (
        refused(lambda: holds.create_hold(OTHER, CreateHold(therapist_id="dr", start=at(10)), now=NOW)) == "SLOT_TAKEN"
    )
    assert (
        refused(lambda: holds.create_hold(OTHER, CreateHold(therapist_id="dr", start=at(10, 30)), now=NOW))
        == "NOT_A_SLOT"
    )
    assert refused(lambda: appointments.book(OTHER, CreateAppointment(hold_id=hold.id), now=NOW)) == "HOLD NOT FOUND"

    booked = appointments.book(PAT, CreateAppointment(hold_id=hold.id), now=NOW + timedelta(minutes=5))
    assert (booked.status, booked.payment_status, booked.price.amount, booked.meeting) == ("booked", "due", 6000, None)
    assert refused(lambda: appointments.book(PAT, CreateAppointment(hold_id=hold.id), now=NOW)) == "HOLD_EXPIRED"
    assert [json.loads(e.data)["appointment_id"] for e in recorded_events("appointment.booked")] == [booked.id]

    late = at(9, 30)  # 30 minutes before the start: the late-cancel fee (default the whole price) is kept
    cancelled = appointments.cancel(PAT, booked.id, CancelAppointment(reason="ill"), now=late)
    assert cancelled.status == "cancelled"
    assert cancelled.refund is not None and (cancelled.refund.amount, cancelled.refund.reason) == (0, "patient_late")
    assert (cancelled.cancelled_by, cancelled.cancellation_reason, cancelled.payment_status) == ("pat", "ill", "due")
    again = CancelAppointment()
    assert refused(lambda: appointments.cancel(PAT, booked.id, again, now=late)) == "ALREADY_CANCELLED"
    assert freed() == [(at(10).isoformat().replace("+00:00", "Z"), at(10, 50).isoformat().replace("+00:00", "Z"))]
    assert at(10) in slot_starts(at(9), at(12), now=late)  # offered again
    assert holds.create_hold(OTHER, CreateHold(therapist_id="dr", start=at(10)), now=late).start == at(10)


def test_a_patient_has_one_hold_and_a_new_one_releases_the_old(stack: RunningStack) -> None:
    set_rules()
    first = holds.create_hold(PAT, CreateHold(therapist_id="dr", start=at(10)), now=NOW)
    second = holds.create_hold(PAT, CreateHold(therapist_id="dr", start=at(11)), now=NOW)
    assert not service.hold_is_live(first.id, now=NOW) and service.hold_is_live(second.id, now=NOW)
    assert len(freed()) == 1
    assert refused(lambda: appointments.book(PAT, CreateAppointment(hold_id=first.id), now=NOW)) == "HOLD_EXPIRED"
    # holding the same time again moves the hold rather than colliding with the patient's own
    third = holds.create_hold(PAT, CreateHold(therapist_id="dr", start=at(11)), now=NOW)
    assert third.start == second.start and not service.hold_is_live(second.id, now=NOW)


def test_an_expired_hold_frees_the_slot_at_once_and_the_sweep_announces_it_once(stack: RunningStack) -> None:
    set_rules()
    hold = holds.create_hold(PAT, CreateHold(therapist_id="dr", start=at(10)), now=NOW)
    later = NOW + timedelta(minutes=10)  # expiresAt is not later than now: expired
    assert at(10) in slot_starts(at(9), at(12), now=later)
    assert refused(lambda: appointments.book(PAT, CreateAppointment(hold_id=hold.id), now=later)) == "HOLD_EXPIRED"
    assert holds.sweep_expired_holds(now=NOW + timedelta(minutes=9)) == 0
    assert holds.sweep_expired_holds(now=later) == 1
    assert holds.sweep_expired_holds(now=later) == 0
    assert len(freed()) == 1
    assert service.holds_by_id([hold.id])[hold.id].id == hold.id


def test_an_expired_hold_taken_by_another_patient_stays_theirs(stack: RunningStack) -> None:
    set_rules()
    mine = holds.create_hold(PAT, CreateHold(therapist_id="dr", start=at(10)), now=NOW)
    later = NOW + timedelta(minutes=11)
    theirs = holds.create_hold(OTHER, CreateHold(therapist_id="dr", start=at(10)), now=later)
    assert holds.sweep_expired_holds(now=later) == 1  # mine expired: announced, but their entry is untouched
    assert refused(lambda: appointments.book(PAT, CreateAppointment(hold_id=mine.id), now=later)) == "HOLD_EXPIRED"
    assert appointments.book(OTHER, CreateAppointment(hold_id=theirs.id), now=later).start == at(10)
    assert at(10) not in slot_starts(at(9), at(12), now=later)


def test_a_waitlist_offer_hold_is_not_announced_and_leaves_own_holds_alone(stack: RunningStack) -> None:
    set_rules()
    own = holds.create_hold(PAT, CreateHold(therapist_id="dr", start=at(10)), now=NOW)

    def offer(uow: SchedulingWork) -> Any:
        return service.hold_for_patient_in(
            uow, patient_id="pat", therapist_id="dr", start=at(12), purpose="waitlist_offer", now=NOW
        )

    offered = SchedulingWork.run_in_transaction(offer)
    assert service.hold_is_live(own.id, now=NOW) and offered.purpose == "waitlist_offer"
    assert holds.sweep_expired_holds(now=NOW + timedelta(minutes=30)) == 1  # the own hold only
    assert len(freed()) == 1
    assert SchedulingWork.run_in_transaction(lambda uow: service.release_hold_in(uow, offered.id, now=NOW)) is True
    assert len(freed()) == 1


def test_reschedule_moves_the_appointment_and_frees_the_old_time(stack: RunningStack) -> None:
    set_rules(price={"amount": 0, "currency": "GBP"})
    first = holds.create_hold(PAT, CreateHold(therapist_id="dr", start=at(10)), now=NOW)
    booked = appointments.book(PAT, CreateAppointment(hold_id=first.id), now=NOW)
    assert booked.payment_status == "not_required"
    new = holds.create_hold(PAT, CreateHold(therapist_id="dr", start=at(14)), now=NOW)
    moved = appointments.reschedule(PAT, booked.id, RescheduleAppointment(hold_id=new.id), now=NOW)
    assert (moved.id, moved.start, moved.end, moved.payment_status) == (booked.id, at(14), at(14, 50), "not_required")
    starts = slot_starts(at(9), at(16))
    assert at(10) in starts and at(14) not in starts
    [event] = [json.loads(e.data) for e in recorded_events("appointment.rescheduled")]
    assert (event["previous_start"], event["start"]) == ("2030-01-07T10:00:00Z", "2030-01-07T14:00:00Z")
    reused = RescheduleAppointment(hold_id=new.id)
    assert refused(lambda: appointments.reschedule(PAT, booked.id, reused, now=NOW)) == "HOLD_EXPIRED"
    assert refused(lambda: appointments.reschedule(OTHER, booked.id, reused, now=NOW)) == "APPOINTMENT NOT FOUND"
    started = at(14, 1)
    assert refused(lambda: appointments.cancel(DR, booked.id, CancelAppointment(), now=started)) == "ALREADY_STARTED"


def test_changed_rules_never_double_book(stack: RunningStack) -> None:
    set_rules(exceptions=[{"date": "2030-01-08", "available": False}])  # 50 + 10 minutes on the hour
    booked = appointments.book(
        PAT, CreateAppointment(hold_id=holds.create_hold(PAT, CreateHold(therapist_id="dr", start=at(10)), now=NOW).id)
    )
    set_rules(sessionMinutes=25, bufferMinutes=5)  # now every half hour
    starts = slot_starts(at(9), at(12))
    assert at(10, 30) not in starts and at(11) in starts and at(9, 30) in starts
    assert (
        refused(lambda: holds.create_hold(OTHER, CreateHold(therapist_id="dr", start=at(10, 30)), now=NOW))
        == "SLOT_TAKEN"
    )
    assert appointments.appointment_for(DR, booked.id).end == at(10, 50)


def test_what_other_areas_ask(stack: RunningStack) -> None:
    set_rules(meetingProvider="zoom")
    assert service.therapist_meeting_provider("dr") == "zoom"
    assert service.therapist_meeting_provider("nobody") == "none"
    made = []
    for hour, who in ((10, PAT), (11, OTHER), (12, patient_caller("third"))):
        hold = holds.create_hold(who, CreateHold(therapist_id="dr", start=at(hour)), now=NOW)
        made.append(appointments.book(who, CreateAppointment(hold_id=hold.id), now=NOW))
    meeting = Meeting(provider="zoom", join_url="https://zoom.example/j/1")
    assert service.attach_meeting(made[0].id, meeting) is not None
    assert service.attach_meeting(made[0].id, meeting) is not None  # idempotent
    assert service.get_appointment(made[0].id).meeting == meeting
    appointments.cancel(admin_caller(), made[2].id, CancelAppointment(), now=NOW)
    assert service.attach_meeting(made[2].id, meeting) is None

    page = service.appointments_starting_between(at(0), at(23), limit=1)
    assert [item.id for item in page.items] == [made[0].id] and page.next_cursor is not None
    page = service.appointments_starting_between(at(0), at(23), after=page.next_cursor, limit=1)
    assert [item.id for item in page.items] == [made[1].id] and page.next_cursor is None

    assert [item.id for item in service.booked_and_cancelled_appointments_of("dr-user")] == [m.id for m in made]
    assert [item.id for item in service.booked_and_cancelled_appointments_of("pat")] == [made[0].id]
    assert [item.id for item in service.appointments_to_settle(at(11))] == [made[0].id]
    settled = service.settle_attendance(made[0].id, therapist_seen=True, patient_seen=True)
    assert settled is not None and settled.status == "completed"
    again = service.settle_attendance(made[0].id, therapist_seen=True, patient_seen=False)
    assert again is not None and again.status == "completed"
    cancelled = service.settle_attendance(made[2].id, therapist_seen=True, patient_seen=False)
    assert cancelled is not None and cancelled.status == "cancelled"
    assert refused(lambda: service.get_appointment("missing")) == "APPOINTMENT NOT FOUND"


def test_erasure_cancels_future_appointments_and_removes_holds(stack: RunningStack) -> None:
    set_rules()
    past_hold = holds.create_hold(PAT, CreateHold(therapist_id="dr", start=at(10)), now=NOW)
    past = appointments.book(PAT, CreateAppointment(hold_id=past_hold.id), now=NOW)
    appointments.cancel(PAT, past.id, CancelAppointment(reason="private words"), now=NOW)
    future_hold = holds.create_hold(PAT, CreateHold(therapist_id="dr", start=at(10, days=1)), now=NOW)
    future = appointments.book(PAT, CreateAppointment(hold_id=future_hold.id), now=NOW)
    pending = holds.create_hold(PAT, CreateHold(therapist_id="dr", start=at(12, days=1)), now=NOW)

    assert erasure.erase_scheduling_of("pat", now=NOW) == 1
    assert erasure.erase_scheduling_of("pat", now=NOW) == 0
    gone = service.get_appointment(future.id)
    assert gone.status == "cancelled" and gone.refund is not None and gone.refund.reason == "erasure"
    assert service.get_appointment(past.id).cancellation_reason is None
    assert service.holds_by_id([past_hold.id, future_hold.id, pending.id]) == {}
    assert {at(10, days=1), at(12, days=1)} <= set(slot_starts(at(9, days=1), at(13, days=1)))
    [event] = [json.loads(e.data) for e in recorded_events("appointment.cancelled") if "erasure" in e.data]
    assert event["appointment_id"] == future.id
