"""Appointment reminders (a service module): in-app notices 24 hours and 1 hour before each booked appointment, to
both parties, from a job that runs every 5 minutes.

Each run looks at the appointments starting within `CATCH_UP` before each lead time from now (a run missed or late
is caught up by the next ones) and sends the reminders not sent yet. A reminder's id is
`reminder-{24h|1h}-{appointmentId}` in the recipient's inbox, created with `create`: however often the job fires,
and whichever runs overlap, each reminder is sent once. An appointment booked after a lead time has passed gets
only the later reminder.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from bloom.calendar.repository import CalendarWork
from bloom.core.logging import get_logger
from bloom.notifications import inbox
from bloom.notifications.schemas import Notice
from bloom.practice import service as practice
from bloom.scheduling import service as scheduling
from bloom.scheduling.schemas import Appointment

_log = get_logger(__name__)
LEADS = {"24h": timedelta(hours=24), "1h": timedelta(hours=1)}
CATCH_UP = timedelta(minutes=30)


def reminder_id(label: str, appointment_id: str) -> str:
    return f"reminder-{label}-{appointment_id}"


def _starting_between(start: datetime, end: datetime) -> Iterator[Appointment]:
    after: str | None = None
    while True:
        page = scheduling.appointments_starting_between(start, end, after=after)
        yield from page.items
        if page.next_cursor is None:
            return
        after = page.next_cursor


def due_reminders(now: datetime) -> list[tuple[str, Appointment]]:
    """(lead label, appointment) of every reminder due at `now`: the appointment starts within `CATCH_UP` before
    the lead time from now."""
    return [
        (label, appointment)
        for label, lead in LEADS.items()
        for appointment in _starting_between(now + lead - CATCH_UP, now + lead)
    ]


def send_reminders(now: datetime) -> int:
    """The reminder job, as of `now`: returns how many reminders this run sent."""
    due = due_reminders(now)
    with CalendarWork() as uow:
        therapists = {
            therapist_id: practice.therapist_user_id_in(uow, therapist_id)
            for therapist_id in {appointment.therapist_id for _, appointment in due}
        }
    parties = {
        appointment.id: [appointment.patient_id, therapists.get(appointment.therapist_id)] for _, appointment in due
    }
    uids = inbox.inbox_uids(user_id for users in parties.values() for user_id in users if user_id)
    notices: list[tuple[str, str, Notice]] = [
        (uids[user_id], reminder_id(label, appointment.id), inbox.appointment_reminder(appointment.id, LEADS[label]))
        for label, appointment in due
        for user_id in parties[appointment.id]
        if user_id in uids
    ]
    sent = inbox.notify_each_once(notices)
    _log.info("appointment reminders sent", extra={"due": len(due), "sent": sent})
    return sent
