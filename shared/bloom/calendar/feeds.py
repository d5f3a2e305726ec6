"""Calendar feeds (a service module): a per-user secret token in the feed's address, rotated on demand, and the
feed itself (the owner's booked and cancelled appointments in iCalendar).

Only the token's SHA-256 is stored, as the document id of `calendarFeeds`: a request is matched by hashing the
token it brings and reading that one document, so no stored secret is ever compared. A rotation deletes the old
hash in the same transaction as it records the new one: the old address answers 404 from then on.
"""

from __future__ import annotations

from bloom.calendar import ics
from bloom.calendar.errors import FEED_NOT_FOUND
from bloom.calendar.models import FeedEvent, FeedOwner, FeedRecord, new_token, token_hash, token_of_feed
from bloom.calendar.repository import CalendarWork
from bloom.calendar.schemas import FeedUrl
from bloom.core.logging import get_logger
from bloom.core.settings import get_settings
from bloom.core.time import utcnow
from bloom.scheduling import service as scheduling
from bloom.scheduling.schemas import Appointment
from bloom.users.schemas import Caller

_log = get_logger(__name__)
FEED_PATH = "/api/calendar/{token}.ics"  # the feed route (`/api/calendar/{feed}`) of one token


def feed_url(token: str) -> str:
    return get_settings().public_url(FEED_PATH.format(token=token))


def rotate_token(caller: Caller, *, units: type[CalendarWork] = CalendarWork) -> FeedUrl:
    """A new secret for the caller's feed; the previous one stops working at once."""
    token = new_token()
    user_id = caller.user.id

    def work(uow: CalendarWork) -> None:
        owner = uow.owners.get(user_id)
        if owner is not None:
            uow.feeds.delete(owner.token_hash)
        uow.feeds.create(token_hash(token), FeedRecord(user_id=user_id, created_at=utcnow()))
        uow.owners.save(user_id, FeedOwner(token_hash=token_hash(token)))

    units.run_in_transaction(work)
    _log.info("calendar feed token rotated")
    return FeedUrl(url=feed_url(token))


def feed_event(appointment: Appointment) -> FeedEvent:
    meeting = appointment.meeting
    return FeedEvent(
        appointment_id=appointment.id,
        start=appointment.start,
        end=appointment.end,
        join_url=meeting.join_url if meeting is not None else None,
        cancelled=appointment.status == "cancelled",
        changed_at=appointment.cancelled_at or appointment.created_at,
    )


def feed(feed_name: str) -> str:
    """The iCalendar feed a token opens: 404 for a malformed, unknown or rotated token."""
    token = token_of_feed(feed_name)
    if token is None:
        raise FEED_NOT_FOUND.error()
    with CalendarWork() as uow:
        record = uow.feeds.get(token_hash(token))
    if record is None:
        raise FEED_NOT_FOUND.error()
    appointments = scheduling.booked_and_cancelled_appointments_of(record.user_id)
    return ics.render_feed(feed_event(appointment) for appointment in appointments)


def erase_feeds(user_id: str) -> None:
    """A deleted user's feed token goes (idempotent)."""

    def work(uow: CalendarWork) -> None:
        owner = uow.owners.get(user_id)
        if owner is not None:
            uow.feeds.delete(owner.token_hash)
            uow.owners.delete(user_id)

    CalendarWork.run_in_transaction(work)
