"""A calendar feed in iCalendar (RFC 5545), rendered with `icalendar` from the feed's events: pure, no I/O.

Each event carries UID, DTSTAMP, DTSTART, DTEND, SUMMARY "Therapy session" (never a name or a note), the join link
(URL and LOCATION) when there is one, and STATUS (CONFIRMED, or CANCELLED with a higher SEQUENCE so a subscribed
calendar replaces the event it already holds)."""

from __future__ import annotations

from collections.abc import Iterable

from bloom.calendar.models import FeedEvent

PRODID = "-//Bloom//Therapy sessions//EN"
CALENDAR_NAME = "Bloom therapy sessions"
SUMMARY = "Therapy session"
UID_DOMAIN = "bloom.chayn.co"


def event_uid(appointment_id: str) -> str:
    return f"{appointment_id}@{UID_DOMAIN}"


def render_feed(events: Iterable[FeedEvent]) -> str:
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", CALENDAR_NAME)
    for item in sorted(events, key=lambda e: (e.start, e.appointment_id)):
        event = Event()
        event.add("uid", event_uid(item.appointment_id))
        event.add("dtstamp", item.changed_at)
        event.add("dtstart", item.start)
        event.add("dtend", item.end)
        event.add("summary", SUMMARY)
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        event.add("sequence", 1 if item.cancelled else 0)
        if item.join_url:
            event.add("url", item.join_url)
            event.add("location", item.join_url)
        calendar.add_component(event)
    text: str = calendar.to_ical().decode()
    return text
