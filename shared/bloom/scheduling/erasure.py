"""Erasure: a deleted user's future appointments are cancelled, their holds released and deleted."""

from __future__ import annotations

from datetime import datetime

from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.scheduling.appointments import cancel_in
from bloom.scheduling.holds import finish_hold
from bloom.scheduling.repository import SchedulingWork

_log = get_logger(__name__)


def erase_scheduling_of(user_id: str, *, now: datetime | None = None) -> int:
    """A deleted user's future appointments (as patient or therapist) are cancelled (refunded in full, meetings
    deleted by telehealth on the event); every appointment of theirs keeps ids and times only (the free-text
    reason goes); their holds are released and deleted, their availability deleted. Idempotent; returns how many
    appointments were cancelled."""
    moment = now or utcnow()
    with SchedulingWork() as uow:
        appointments = uow.appointments.of_user(user_id)
        availability = uow.availability.of_therapist_user(user_id)
        holds = uow.holds.of_party("patient", user_id)
        for rules in availability:
            holds += uow.holds.of_party("therapist", rules.therapist_id)
    cancelled = 0
    for record in appointments:

        def cancel_work(uow: SchedulingWork, appointment_id: str = record.id) -> bool:
            current = uow.appointments.get(appointment_id)
            if current is None:
                return False
            if current.status == "booked" and current.start > moment:
                cancel_in(uow, current, "erasure", user_id, None, moment)
                return True
            if current.cancellation_reason is not None:
                uow.appointments.change(appointment_id, cancellation_reason=None)
            return False

        cancelled += SchedulingWork.run_in_transaction(cancel_work)
    for hold in holds:

        def hold_work(uow: SchedulingWork, hold_id: str = hold.id) -> None:
            current = uow.holds.get(hold_id)
            if current is None:
                return
            if current.is_live(moment):
                finish_hold(uow, current, "released", moment)
            if current.patient_id == user_id:
                uow.holds.delete(hold_id)

        SchedulingWork.run_in_transaction(hold_work)
    with SchedulingWork() as uow:
        uow.patient_holds.delete(user_id)
        for rules in availability:
            uow.availability.delete(rules.therapist_id)
    _log.info("scheduling of a deleted user erased", extra={"appointments": cancelled, "holds": len(holds)})
    return cancelled
