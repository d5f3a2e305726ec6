"""Random sequences of hold / book / cancel / reschedule / release / expire / rule changes on one therapist,
against the emulators with a settable clock: every outcome matches a simple model, no two booked appointments
ever overlap, and the slots offered are always the rules minus what the model says is kept, so every freed slot
is offered (and holdable) again."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from bloom.core.errors import BloomError
from bloom.scheduling import appointments, availability, holds
from bloom.scheduling.models import Busy, open_slots, rule_slots
from bloom.scheduling.schemas import (
    AppointmentsQuery,
    AvailabilityBody,
    CancelAppointment,
    CreateAppointment,
    CreateHold,
    RescheduleAppointment,
    SlotsQuery,
)
from infra.stack_runner import RunningStack
from tests.support.scheduling import availability as availability_body
from tests.support.scheduling import patient_caller, therapist_caller

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)  # a Monday
FIRST, LAST = NOW.replace(hour=9), NOW.replace(hour=13)
PATIENTS = 3


@dataclass
class ModelHold:
    patient: int
    start: datetime
    until: datetime
    expires: datetime
    status: str = "held"


@dataclass
class ModelAppointment:
    id: str
    patient: int
    start: datetime
    end: datetime
    until: datetime
    status: str = "booked"


def outcome(work: Any) -> tuple[str, Any]:
    try:
        return "ok", work()
    except BloomError as error:
        return str(error.message), None


class Schedule(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        run = uuid.uuid4().hex[:8]
        self.therapist_id = f"dr-{run}"
        self.dr = therapist_caller(f"dr-user-{run}", self.therapist_id)
        self.patients = [patient_caller(f"pat-{run}-{n}") for n in range(PATIENTS)]
        self.now = NOW
        self.holds: dict[str, ModelHold] = {}
        self.latest: dict[int, str] = {}  # patient -> their latest hold id
        self.appointments: list[ModelAppointment] = []
        self.set_rules(50, 10)

    def set_rules(self, session: int, buffer: int) -> None:
        body = availability_body(
            weekly=[{"day": "mon", "start": "09:00", "end": "13:00"}], sessionMinutes=session, bufferMinutes=buffer
        )
        self.terms = availability.put_availability(
            self.dr, self.therapist_id, AvailabilityBody.model_validate(body), now=self.now
        )

    def kept(self, *, without: str | None = None) -> list[Busy]:
        busy = [
            Busy(start=h.start, until=h.until, expires_at=h.expires)
            for hold_id, h in self.holds.items()
            if h.status == "held" and hold_id != without
        ]
        return busy + [Busy(start=a.start, until=a.until) for a in self.appointments if a.status == "booked"]

    def live(self, hold_id: str | None) -> bool:
        found = self.holds.get(hold_id) if hold_id is not None else None
        return found is not None and found.status == "held" and found.expires > self.now

    # ------------------------------------------------------------ rules

    @rule(session=st.sampled_from([25, 50]), buffer=st.sampled_from([0, 10]))
    def change_rules(self, session: int, buffer: int) -> None:
        self.set_rules(session, buffer)

    @rule(minutes=st.sampled_from([1, 5, 11]))
    def advance_clock(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @rule(patient=st.integers(0, PATIENTS - 1), index=st.integers(0, 20))
    def hold(self, patient: int, index: int) -> None:
        starts = [start for start, _ in rule_slots(self.terms, FIRST, LAST)]
        start = starts[index % len(starts)]
        previous = self.latest.get(patient)
        own = previous if self.live(previous) else None
        end = start + timedelta(minutes=self.terms.session_minutes)
        until = end + timedelta(minutes=self.terms.buffer_minutes)
        body = CreateHold(therapist_id=self.therapist_id, start=start)
        result, made = outcome(lambda: holds.create_hold(self.patients[patient], body, now=self.now))
        if start < self.now:
            assert result == "NOT_A_SLOT"
            return
        taken = any(b.is_live(self.now) and b.start < until and start < b.until for b in self.kept(without=own))
        assert result == ("SLOT_TAKEN" if taken else "ok")
        if made is None:
            return
        if own is not None:
            self.holds[own].status = "released"
        self.holds[made.id] = ModelHold(patient, start, until, made.expires_at)
        self.latest[patient] = made.id

    @rule(patient=st.integers(0, PATIENTS - 1))
    def book(self, patient: int) -> None:
        hold_id = self.latest.get(patient)
        if hold_id is None:
            return
        body = CreateAppointment(hold_id=hold_id)
        result, made = outcome(lambda: appointments.book(self.patients[patient], body, now=self.now))
        assert result == ("ok" if self.live(hold_id) else "HOLD_EXPIRED")
        if made is not None:
            found = self.holds[hold_id]
            found.status = "booked"
            self.appointments.append(ModelAppointment(made.id, patient, made.start, made.end, found.until))

    @rule(index=st.integers(0, 20), by_therapist=st.booleans())
    def cancel(self, index: int, by_therapist: bool) -> None:
        if not self.appointments:
            return
        target = self.appointments[index % len(self.appointments)]
        caller = self.dr if by_therapist else self.patients[target.patient]
        result, _ = outcome(lambda: appointments.cancel(caller, target.id, CancelAppointment(), now=self.now))
        if target.status == "cancelled":
            assert result == "ALREADY_CANCELLED"
        elif target.start <= self.now:
            assert result == "ALREADY_STARTED"
        else:
            assert result == "ok"
            target.status = "cancelled"

    @rule(index=st.integers(0, 20))
    def reschedule(self, index: int) -> None:
        if not self.appointments:
            return
        target = self.appointments[index % len(self.appointments)]
        hold_id = self.latest.get(target.patient)
        if hold_id is None:
            return
        body = RescheduleAppointment(hold_id=hold_id)
        result, moved = outcome(
            lambda: appointments.reschedule(self.patients[target.patient], target.id, body, now=self.now)
        )
        if target.status == "cancelled":
            assert result == "ALREADY_CANCELLED"
        elif target.start <= self.now:
            assert result == "ALREADY_STARTED"
        elif not self.live(hold_id):
            assert result == "HOLD_EXPIRED"
        else:
            assert result == "ok" and moved is not None
            found = self.holds[hold_id]
            found.status = "booked"
            target.start, target.end, target.until = moved.start, moved.end, found.until

    @rule(patient=st.integers(0, PATIENTS - 1))
    def release(self, patient: int) -> None:
        hold_id = self.latest.get(patient)
        if hold_id is None:
            return
        holds.release_hold(self.patients[patient], hold_id, now=self.now)
        if self.live(hold_id):
            self.holds[hold_id].status = "released"

    @rule()
    def sweep(self) -> None:
        swept = holds.sweep_expired_holds(now=self.now)
        expired = [h for h in self.holds.values() if h.status == "held" and h.expires <= self.now]
        assert swept >= len(expired)  # other examples' leftovers on the same emulator may be swept too
        for found in expired:
            found.status = "expired"

    # ------------------------------------------------------------ what must always hold

    @invariant()
    def booked_appointments_never_overlap(self) -> None:
        query = AppointmentsQuery.model_validate({"limit": 100})
        page = appointments.list_appointments(self.dr, query)
        booked = sorted((a.start, a.end) for a in page.items if a.status == "booked")
        assert len(booked) == sum(1 for a in self.appointments if a.status == "booked")
        for (_, first_end), (second_start, _) in pairwise(booked):
            assert first_end <= second_start

    @invariant()
    def the_slots_offered_are_the_rules_minus_what_is_kept(self) -> None:
        query = SlotsQuery.model_validate({"from": FIRST, "to": LAST})
        offered = [(slot.start, slot.end) for slot in availability.slots(self.therapist_id, query, now=self.now)]
        assert offered == open_slots(self.terms, self.kept(), FIRST, LAST, self.now)


def test_random_schedules_never_double_book(stack: RunningStack) -> None:
    run_state_machine_as_test(
        Schedule,
        settings=settings(
            max_examples=15,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
