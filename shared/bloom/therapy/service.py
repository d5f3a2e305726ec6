"""Therapy bookings: the ledger's use cases (webhook deliveries, user cancels, completion, erasure) and listings.

Every change to a booking is one transaction over its ledger record (`bloom.therapy.models`), the access it
charges or refunds (through `bloom.partners.therapy_charges`, joined to the transaction) and its events (outbox).
Who booked: the Bloom user id the booking carries, else the user of an earlier delivery of the same booking
(its ledger record), else the Bloom user with the booking's client email.

Subscribers call `apply_*`: Simplybook failures raise `TransientEventError` (Pub/Sub redelivers) or
`PermanentEventError` (acknowledged and logged). The cancel endpoint cancels in Simplybook first (502 when it
cannot), then refunds in the same way the cancel webhook that follows would: that webhook then changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from bloom.core.errors import PermanentEventError, TransientEventError
from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.partners import therapy_charges
from bloom.partners.schemas import TherapySessionOut
from bloom.platform.store.repository import Repository
from bloom.platform.store.unit_of_work import DuplicateDocument, Fetched
from bloom.therapy import errors, simplybook
from bloom.therapy.events import (
    THERAPY_BOOKED,
    THERAPY_CANCELLED,
    THERAPY_COMPLETED,
    THERAPY_RESCHEDULED,
    TherapyBooked,
    TherapyCancelled,
    TherapyCompleted,
    TherapyRescheduled,
)
from bloom.therapy.models import (
    ERASED_FIELDS,
    EventKind,
    Match,
    Operation,
    Step,
    TherapyBookingRecord,
    completion_step,
    first_record,
    ledger_key,
    needs_match,
    next_step,
    session_out,
)
from bloom.therapy.repository import TherapyWork
from bloom.therapy.schemas import (
    AdminSessionQuery,
    AdminTherapySessionOut,
    Booking,
    SimplybookNotification,
    ZapierBooking,
)
from bloom.users import service as users
from bloom.users.schemas import UserRecord

_log = get_logger(__name__)
SIMPLYBOOK_OPERATIONS: dict[str, Operation] = {"create": "book", "cancel": "cancel", "change": "change"}
ZAPIER_OPERATIONS: dict[str, Operation] = {
    "NEW_BOOKING": "book",
    "CANCELLED_BOOKING": "cancel",
    "UPDATED_BOOKING": "change",
    "COMPLETED_BOOKING": "complete",
}
USER_SESSIONS_MAX = 500
COMPLETION_BATCH = 200


# ---------------------------------------------------------------- applying deliveries


def _facts(record: TherapyBookingRecord) -> dict[str, Any]:
    return {
        "session_id": record.id,
        "booking_code": record.booking_code,
        "user_id": record.user_id,
        "partner_id": record.partner_id,
        "partner_access_id": record.partner_access_id,
        "service_provider_name": record.service_provider_name,
        "start_date_time": record.start_date_time.isoformat(),
    }


def _emit_cancelled(
    uow: TherapyWork, record: TherapyBookingRecord, *, refunded: bool, cancel_in_simplybook: bool = False
) -> None:
    event = TherapyCancelled(refunded=refunded, cancel_in_simplybook=cancel_in_simplybook, **_facts(record))
    uow.emit(THERAPY_CANCELLED, event)


def _emit_completed(uow: TherapyWork, record: TherapyBookingRecord) -> None:
    done = record.completed_at.isoformat() if record.completed_at else ""
    uow.emit(THERAPY_COMPLETED, TherapyCompleted(completed_at=done, **_facts(record)))


def _emit(uow: TherapyWork, record: TherapyBookingRecord, kinds: tuple[EventKind, ...], *, refunded: bool) -> None:
    """The events of one ledger step, recorded with it."""
    for kind in kinds:
        if kind == "booked":
            outcome = record.outcome if record.outcome != "cancelled_before_booked" else "unmatched"
            uow.emit(THERAPY_BOOKED, TherapyBooked(outcome=outcome, **_facts(record)))
        elif kind == "cancelled":
            _emit_cancelled(uow, record, refunded=refunded)
        elif kind == "rescheduled":
            moved_from = record.rescheduled_from.isoformat() if record.rescheduled_from else ""
            uow.emit(THERAPY_RESCHEDULED, TherapyRescheduled(rescheduled_from=moved_from, **_facts(record)))
        else:
            _emit_completed(uow, record)


def _match_in(uow: TherapyWork, booking: Booking, email_user_id: str | None) -> Match:
    """Who booked (already resolved by email outside the transaction when the booking names nobody), and the
    access charged. The charge reads the user's accesses, then writes: nothing may be read after it."""
    user_id = booking.user_id or email_user_id
    if user_id is None:
        return Match(user_id=None)
    charge = therapy_charges.charge_therapy_session_in(uow, user_id)
    if charge is not None:
        return Match(user_id=user_id, access_id=charge.access_id, partner_id=charge.partner_id)
    if booking.user_id is not None and users.find_in(uow, user_id) is None:
        return Match(user_id=None)  # the id names nobody we know
    return Match(user_id=user_id)


def _email_user_id(booking: Booking) -> str | None:
    if booking.user_id is not None or not booking.client_email:
        return None
    found = users.find_by_email(booking.client_email)
    return found[1].id if found is not None else None


def _first_delivery(operation: Operation, booking: Booking, email_user_id: str | None) -> Step:
    """Record a booking we presume new without reading its record: the `create` fails at commit if one exists by
    then, and the charge made in the same transaction goes with it (`DuplicateDocument`)."""

    def work(uow: TherapyWork) -> Step:
        match = _match_in(uow, booking, email_user_id)
        step = first_record(str(uuid.uuid4()), operation, booking, match, utcnow())
        assert step.record is not None  # a first record always exists
        uow.bookings.create(ledger_key(booking.code), step.record)
        _emit(uow, step.record, step.events, refunded=False)
        return step

    return TherapyWork.run_in_transaction(work)


def _later_delivery(operation: Operation, booking: Booking, email_user_id: str | None) -> Step:
    """Read the booking's record in the transaction and apply the delivery to what it holds."""
    key = ledger_key(booking.code)

    def work(uow: TherapyWork) -> Step:
        record = uow.bookings.get(key)
        now = utcnow()
        if record is None:
            match = _match_in(uow, booking, email_user_id) if needs_match(record, operation) else None
            step = first_record(str(uuid.uuid4()), operation, booking, match, now)
        else:
            step = next_step(record, operation, booking, now)
            if step.refund and record.partner_access_id is not None:
                therapy_charges.refund_therapy_session_in(uow, record.partner_access_id)
        if step.record is not None:
            uow.bookings.save(key, step.record)
            _emit(uow, step.record, step.events, refunded=step.refund)
        return step

    return TherapyWork.run_in_transaction(work)


def apply_booking(operation: Operation, booking: Booking) -> TherapyBookingRecord | None:
    """Apply one delivery to the ledger; returns the record as it now is (None when it changed nothing).

    A create is nearly always a booking's first delivery, so it is recorded without reading the ledger first
    (one round trip less); when the booking is known already, it is applied as any later delivery is."""
    # Read before the transaction, and only for a booking that names no user and is not a cancel.
    email_user_id = _email_user_id(booking) if operation != "cancel" else None
    step: Step | None = None
    if operation == "book":
        try:
            step = _first_delivery(operation, booking, email_user_id)
        except DuplicateDocument:
            step = None
    if step is None:
        step = _later_delivery(operation, booking, email_user_id)
    if step.record is not None:
        extra = {"session_id": step.record.id, "operation": operation, "outcome": step.record.outcome}
        _log.info("therapy booking applied", extra={**extra, "events": step.events})
    else:
        _log.info("therapy delivery changed nothing", extra={"operation": operation})
    return step.record


def apply_simplybook_notification(notification: SimplybookNotification) -> TherapyBookingRecord | None:
    """Simplybook's callback: read the booking from the admin API, then apply it."""
    operation = SIMPLYBOOK_OPERATIONS.get(notification.notification_type)
    if operation is None:
        return None
    try:
        booking = simplybook.get_booking(notification.booking_id)
    except simplybook.SimplybookUnavailable as exc:
        raise TransientEventError(str(exc)) from None
    except simplybook.SimplybookError as exc:
        raise PermanentEventError(str(exc)) from None
    return apply_booking(operation, booking)


def apply_zapier_booking(body: ZapierBooking) -> TherapyBookingRecord | None:
    booking = Booking(
        code=body.booking_code,
        user_id=body.user_id,
        client_email=body.client_email,
        client_timezone=body.client_timezone,
        service_name=body.service_name,
        service_provider_name=body.service_provider_name,
        service_provider_email=body.service_provider_email,
        start_date_time=body.start_date_time,
        end_date_time=body.end_date_time,
    )
    return apply_booking(ZAPIER_OPERATIONS[body.action], booking)


# ---------------------------------------------------------------- the user's sessions


def sessions_of(user: UserRecord) -> list[TherapySessionOut]:
    with TherapyWork() as uow:
        records = uow.bookings.of_user(user.id, USER_SESSIONS_MAX)
    records.sort(key=lambda r: (r.created_at, r.id), reverse=True)
    return [session_out(record) for record in records]


def cancel_session(user: UserRecord, session_id: str) -> TherapySessionOut:
    """The user cancels their own session: in Simplybook first, then refunded once in the ledger."""
    with TherapyWork() as uow:
        found = uow.bookings.by_public_id(session_id)
    if found is None or found.user_id is None or found.user_id != user.id:
        raise errors.SESSION_NOT_FOUND.error()
    if found.cancelled_at is not None:
        raise errors.SESSION_ALREADY_CANCELLED.error()
    if found.start_date_time <= utcnow():
        raise errors.SESSION_IN_THE_PAST.error()
    if found.simplybook_id is not None:
        try:
            simplybook.cancel_booking(found.simplybook_id)
        except simplybook.SimplybookError as exc:
            _log.error("simplybook cancel failed", extra={"session_id": found.id, "reason": str(exc)})
            raise errors.SIMPLYBOOK_UNAVAILABLE.error() from None
    key = ledger_key(found.booking_code)

    def work(uow: TherapyWork) -> TherapyBookingRecord:
        wanted: list[tuple[Repository[Any], str]] = [(uow.bookings, key)]
        if found.partner_access_id is not None:
            wanted.append(therapy_charges.therapy_access_ref(uow, found.partner_access_id))
        fetched: Fetched = uow.fetch(wanted)
        record = fetched.get(uow.bookings, key)
        if record is None or record.user_id != user.id:
            raise errors.SESSION_NOT_FOUND.error()
        if record.cancelled_at is not None:
            raise errors.SESSION_ALREADY_CANCELLED.error()
        booking = Booking(
            code=record.booking_code, start_date_time=record.start_date_time, end_date_time=record.end_date_time
        )
        step = next_step(record, "cancel", booking, utcnow())
        assert step.record is not None  # a session not cancelled yet always changes
        if step.refund and record.partner_access_id is not None:
            therapy_charges.refund_therapy_session_in(uow, record.partner_access_id, fetched)
        uow.bookings.save(key, step.record)
        # Without Simplybook's id (a booking only Zapier told us of) the team cancels it there by hand.
        _emit_cancelled(uow, step.record, refunded=step.refund, cancel_in_simplybook=record.simplybook_id is None)
        return step.record

    cancelled = TherapyWork.run_in_transaction(work)
    _log.info("therapy session cancelled by its user", extra={"session_id": cancelled.id})
    return session_out(cancelled)


def admin_sessions(query: AdminSessionQuery) -> list[AdminTherapySessionOut]:
    """Sessions of a user or a partner (or the latest ones), each with the access it charged."""
    with TherapyWork() as uow:
        if query.user_id is not None:
            records = uow.bookings.of_user(query.user_id, query.limit)
        elif query.partner_id is not None:
            records = uow.bookings.of_partner(query.partner_id, query.limit)
        else:
            records = uow.bookings.recent(query.limit)
    if query.user_id is not None and query.partner_id is not None:
        records = [r for r in records if r.partner_id == query.partner_id]
    records.sort(key=lambda r: (r.created_at, r.id), reverse=True)
    accesses = therapy_charges.accesses_by_ids([r.partner_access_id for r in records if r.partner_access_id])
    return [
        AdminTherapySessionOut(
            **session_out(r).model_dump(),
            user_id=r.user_id,
            outcome=r.outcome,
            partner_access=accesses.get(r.partner_access_id) if r.partner_access_id else None,
        )
        for r in records
    ]


# ---------------------------------------------------------------- completion and erasure


def complete_ended_sessions(now: datetime | None = None) -> int:
    """Set `completedAt` on booked sessions that ended and were not cancelled. Idempotent; returns how many."""
    now = now or utcnow()
    completed = 0
    while True:
        with TherapyWork() as uow:
            due = uow.bookings.due_for_completion(now, COMPLETION_BATCH)
        changed_in_batch = 0
        for candidate in due:
            key = ledger_key(candidate.booking_code)

            def work(uow: TherapyWork, key: str = key) -> bool:
                record = uow.bookings.get(key)
                step = completion_step(record, now) if record is not None else Step(None)
                if step.record is None:
                    return False
                uow.bookings.save(key, step.record)
                _emit_completed(uow, step.record)
                return True

            changed_in_batch += TherapyWork.run_in_transaction(work)
        completed += changed_in_batch
        if len(due) < COMPLETION_BATCH or changed_in_batch == 0:
            break
    _log.info("ended therapy sessions completed", extra={"completed": completed})
    return completed


def erase_user_sessions(user_id: str) -> int:
    """A user was erased: their sessions lose every personal field and their link to the person; the ledger
    (which access paid, when it was charged and refunded) stays for reporting. Idempotent."""
    now = utcnow()
    with TherapyWork() as uow:
        records = uow.bookings.of_user(user_id, USER_SESSIONS_MAX)
        for record in records:
            uow.bookings.change(ledger_key(record.booking_code), **ERASED_FIELDS, erased_at=now, updated_at=now)
    _log.info("therapy sessions of an erased user unlinked", extra={"sessions": len(records)})
    return len(records)
