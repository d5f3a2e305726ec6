"""Appointments: booking a hold, cancelling with the policy's refund decision, rescheduling onto a new hold,
and reading them (either party or a practice admin; anyone else gets 404)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.platform import cursors
from bloom.practice import errors as practice_errors
from bloom.scheduling import errors
from bloom.scheduling.availability import manages
from bloom.scheduling.events import (
    APPOINTMENT_BOOKED,
    APPOINTMENT_CANCELLED,
    APPOINTMENT_RESCHEDULED,
    SLOT_FREED,
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
    SlotFreed,
)
from bloom.scheduling.models import (
    CLAIM_ATTEMPTS,
    AppointmentRecord,
    Busy,
    HoldRecord,
    appointment_page,
    days_touching,
    overlaps,
    payment_status_for,
    refund_decision,
)
from bloom.scheduling.repository import SchedulingWork
from bloom.scheduling.schemas import (
    Appointment,
    AppointmentPage,
    AppointmentsQuery,
    CancelAppointment,
    CancelledByRole,
    CreateAppointment,
    RescheduleAppointment,
)
from bloom.users.schemas import Caller

_log = get_logger(__name__)


def _live_hold_of(uow: SchedulingWork, caller: Caller, hold: HoldRecord | None, now: datetime) -> HoldRecord:
    """The caller's hold, still live and still keeping its time; 404 for someone else's, 410 otherwise."""
    if hold is None or hold.patient_id != caller.user.id:
        raise errors.HOLD_NOT_FOUND.error()
    if not hold.is_live(now):
        raise errors.HOLD_EXPIRED.error()
    busy, _ = uow.fetch_days(hold.therapist_id, days_touching(hold.start, hold.until))
    if overlaps(hold.start, hold.until, [entry for key, entry in busy.items() if key != hold.id], now):
        raise errors.HOLD_EXPIRED.error()
    return hold


def _use_hold(uow: SchedulingWork, hold: HoldRecord) -> None:
    uow.holds.change(hold.id, status="booked")
    if hold.purpose == "patient":
        uow.patient_holds.delete(hold.patient_id)


def _event_fields(record: AppointmentRecord) -> dict[str, Any]:
    """What every appointment event carries: ids and times, never names or text."""
    return {
        "appointment_id": record.id,
        "therapist_id": record.therapist_id,
        "patient_id": record.patient_id,
        "start": record.start,
        "end": record.end,
    }


def book(caller: Caller, body: CreateAppointment, *, now: datetime | None = None) -> Appointment:
    """`POST appointments {holdId}`: the hold becomes the appointment in one transaction. 410 HOLD_EXPIRED."""
    moment = now or utcnow()

    def work(uow: SchedulingWork) -> AppointmentRecord:
        hold = _live_hold_of(uow, caller, uow.holds.get(body.hold_id), moment)
        record = AppointmentRecord(
            id=str(uuid.uuid4()),
            therapist_id=hold.therapist_id,
            therapist_user_id=hold.therapist_user_id,
            patient_id=hold.patient_id,
            start=hold.start,
            end=hold.end,
            until=hold.until,
            status="booked",
            meeting=None,
            price=hold.price,
            payment_status=payment_status_for(hold.price),
            late_cancel_fee=hold.late_cancel_fee,
            cancelled_at=None,
            cancelled_by=None,
            cancellation_reason=None,
            refund=None,
            created_at=moment,
            updated_at=moment,
        )
        uow.appointments.create(record.id, record)
        _use_hold(uow, hold)
        uow.days.apply(
            hold.therapist_id, keep={record.id: Busy(start=hold.start, until=hold.until)}, free={hold.id: hold.start}
        )
        uow.emit(APPOINTMENT_BOOKED, AppointmentBooked(**_event_fields(record), booked_at=moment))
        return record

    record = SchedulingWork.run_in_transaction(work, max_attempts=CLAIM_ATTEMPTS)
    _log.info("appointment booked", extra={"appointmentId": record.id})
    return record.out()


def _party_role(caller: Caller, record: AppointmentRecord | None) -> CancelledByRole:
    """How the caller takes part in the appointment: its patient, its therapist or a practice admin; 404 for
    anyone else."""
    if record is not None:
        if record.patient_id == caller.user.id:
            return "patient"
        if caller.is_therapist and record.therapist_id == caller.user.therapist_profile_id:
            return "therapist"
        if caller.is_practice_admin:
            return "practice_admin"
    raise errors.APPOINTMENT_NOT_FOUND.error()


def _still_ahead(record: AppointmentRecord, now: datetime) -> None:
    if record.status == "cancelled":
        raise errors.ALREADY_CANCELLED.error()
    if record.status != "booked" or record.start <= now:
        raise errors.ALREADY_STARTED.error()


def cancel_in(
    uow: SchedulingWork,
    record: AppointmentRecord,
    role: CancelledByRole,
    actor_id: str,
    reason: str | None,
    now: datetime,
) -> AppointmentRecord:
    refund = refund_decision(
        role, now=now, start=record.start, price=record.price, late_cancel_fee=record.late_cancel_fee
    )
    changes = {
        "status": "cancelled",
        "cancelled_at": now,
        "cancelled_by": actor_id,
        "cancellation_reason": reason,
        "refund": refund,
        "updated_at": now,
    }
    uow.appointments.change(record.id, **changes)
    uow.days.apply(record.therapist_id, keep={}, free={record.id: record.start})
    cancelled = AppointmentCancelled(**_event_fields(record), cancelled_by_role=role, cancelled_at=now)
    uow.emit(APPOINTMENT_CANCELLED, cancelled)
    uow.emit(SLOT_FREED, SlotFreed(therapist_id=record.therapist_id, start=record.start, end=record.end, freed_at=now))
    return record.model_copy(update=changes)


def cancel(caller: Caller, appointment_id: str, body: CancelAppointment, *, now: datetime | None = None) -> Appointment:
    """Either party or a practice admin cancels a booked appointment before its start; the policy's refund
    decision is recorded on it. 409 ALREADY_CANCELLED / ALREADY_STARTED."""
    moment = now or utcnow()

    def work(uow: SchedulingWork) -> AppointmentRecord:
        record = uow.appointments.get(appointment_id)
        role = _party_role(caller, record)
        assert record is not None  # _party_role refuses a missing one
        _still_ahead(record, moment)
        return cancel_in(uow, record, role, caller.user.id, body.reason, moment)

    record = SchedulingWork.run_in_transaction(work, max_attempts=CLAIM_ATTEMPTS)
    _log.info("appointment cancelled", extra={"appointmentId": record.id})
    return record.out()


def reschedule(
    caller: Caller, appointment_id: str, body: RescheduleAppointment, *, now: datetime | None = None
) -> Appointment:
    """The patient moves their appointment to the time of a hold they have on the same therapist, in one
    transaction: the old time is freed, the payment carries over."""
    moment = now or utcnow()

    def work(uow: SchedulingWork) -> tuple[AppointmentRecord, AppointmentRecord]:
        fetched = uow.fetch([(uow.appointments, appointment_id), (uow.holds, body.hold_id)])
        record = fetched.get(uow.appointments, appointment_id)
        if record is None or record.patient_id != caller.user.id:
            raise errors.APPOINTMENT_NOT_FOUND.error()
        _still_ahead(record, moment)
        hold = _live_hold_of(uow, caller, fetched.get(uow.holds, body.hold_id), moment)
        if hold.therapist_id != record.therapist_id:
            raise errors.NOT_A_SLOT.error()
        changes = {"start": hold.start, "end": hold.end, "until": hold.until, "updated_at": moment}
        uow.appointments.change(record.id, **changes)
        _use_hold(uow, hold)
        uow.days.apply(
            record.therapist_id,
            keep={record.id: Busy(start=hold.start, until=hold.until)},
            free={
                hold.id: hold.start,
                **({} if record.start.date() == hold.start.date() else {record.id: record.start}),
            },
        )
        uow.emit(
            APPOINTMENT_RESCHEDULED,
            AppointmentRescheduled(
                **{**_event_fields(record), "start": hold.start, "end": hold.end},
                previous_start=record.start,
                previous_end=record.end,
                rescheduled_at=moment,
            ),
        )
        freed = SlotFreed(therapist_id=record.therapist_id, start=record.start, end=record.end, freed_at=moment)
        uow.emit(SLOT_FREED, freed)
        return record, record.model_copy(update=changes)

    _, moved = SchedulingWork.run_in_transaction(work, max_attempts=CLAIM_ATTEMPTS)
    _log.info("appointment rescheduled", extra={"appointmentId": moved.id})
    return moved.out()


# ---------------------------------------------------------------- reading appointments


def appointment_for(caller: Caller, appointment_id: str) -> Appointment:
    """`GET appointments/:id`: either party or a practice admin; 404 for anyone else."""
    with SchedulingWork() as uow:
        record = uow.appointments.get(appointment_id)
    _party_role(caller, record)
    assert record is not None
    return record.out()


def list_appointments(caller: Caller, query: AppointmentsQuery) -> AppointmentPage:
    """The caller's appointments by start: a therapist's own (or, for a practice admin, `therapistId`'s), else
    the caller's as a patient."""
    after = cursors.decode(query.cursor, cursors.AfterTimeAndId)
    if query.therapist_id is not None:
        if not manages(caller, query.therapist_id):
            raise practice_errors.THERAPIST_NOT_FOUND.error()
        party, party_id = "therapist", query.therapist_id
    elif caller.is_therapist and caller.user.therapist_profile_id is not None:
        party, party_id = "therapist", caller.user.therapist_profile_id
    else:
        party, party_id = "patient", caller.user.id
    with SchedulingWork() as uow:
        found = uow.appointments.page_of(party, party_id, query.from_, query.to, after, query.limit + 1)
    return appointment_page(found, query.limit)
