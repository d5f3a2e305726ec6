"""Calendar feeds over HTTP: a per-user secret address (rotated on demand) and the feed itself, public and opened by
the token in its address; appointment reminders (a scheduled job); erasure of a deleted user's feed token."""

from __future__ import annotations

from bloom.api import HttpContext, http_function
from bloom.calendar import errors, feeds, reminders
from bloom.calendar.schemas import FeedUrl
from bloom.platform.events import Event
from bloom.platform.http import Empty
from bloom.platform.registry import Role, Sdk
from bloom.platform.subscriber import event_function, scheduled_function
from bloom.platform.topics import ScheduledRun
from bloom.users.events import USER_DELETED, UserDeleted

TAGS = ("calendar",)
ICALENDAR = "text/calendar; charset=utf-8"


@http_function(
    "POST",
    "/api/v1/practice/calendar/token",
    role=Role.PRACTICE_USER,
    response=FeedUrl,
    summary="A new secret address for the caller's calendar feed; the previous address stops working",
    tags=TAGS,
)
def rotate_calendar_token(ctx: HttpContext[Empty, Empty]) -> FeedUrl:
    return feeds.rotate_token(ctx.caller)


@http_function(
    "GET",
    "/api/calendar/{feed}",
    role=Role.PUBLIC,
    response=str,
    media_type=ICALENDAR,
    secret_path=True,
    summary="The iCalendar feed (`{token}.ics`) of the token's owner: their booked and cancelled sessions",
    errors=(errors.FEED_NOT_FOUND,),
    sdks=(Sdk.FIRESTORE,),
    tags=TAGS,
)
def calendar_feed(ctx: HttpContext[Empty, Empty]) -> str:
    return feeds.feed(ctx.path["feed"])


@event_function(USER_DELETED, summary="Erase a deleted user's calendar feed token")
def erase_calendar_feed_of_deleted_user(event: Event[UserDeleted]) -> None:
    feeds.erase_feeds(event.payload.user_id)


@scheduled_function(
    "*/5 * * * *",
    summary="In-app reminders 24 hours and 1 hour before each booked appointment, to both parties (each sent once)",
)
def send_appointment_reminders(run: Event[ScheduledRun]) -> None:
    reminders.send_reminders(run.payload.moment())
