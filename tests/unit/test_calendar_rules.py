"""The calendar feed's pure parts: iCalendar rendering (parsed back with `icalendar`) and feed tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from bloom.calendar.ics import SUMMARY, event_uid, render_feed
from bloom.calendar.models import FeedEvent, new_token, token_hash, token_of_feed

START = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)


def event(appointment_id: str, *, cancelled: bool = False, join_url: str | None = None, days: int = 0) -> FeedEvent:
    start = START + timedelta(days=days)
    return FeedEvent(
        appointment_id=appointment_id,
        start=start,
        end=start + timedelta(minutes=50),
        join_url=join_url,
        cancelled=cancelled,
        changed_at=START - timedelta(days=2),
    )


def test_a_feed_is_rfc_5545_with_one_event_per_appointment_in_time_order() -> None:
    join = "https://zoom.example/j/123?pwd=a;b,c"
    text = render_feed([event("later", days=1), event("first", join_url=join), event("gone", cancelled=True, days=2)])
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    calendar = Calendar.from_ical(text)
    assert (str(calendar["VERSION"]), str(calendar["PRODID"])) == ("2.0", "-//Bloom//Therapy sessions//EN")
    events = calendar.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [event_uid("first"), event_uid("later"), event_uid("gone")]
    first, later, gone = events
    assert (first.decoded("DTSTART"), first.decoded("DTEND")) == (START, START + timedelta(minutes=50))
    assert {str(e["SUMMARY"]) for e in events} == {SUMMARY}
    assert (str(first["URL"]), str(first["LOCATION"])) == (join, join)
    assert "URL" not in later and "LOCATION" not in later
    assert [str(e["STATUS"]) for e in events] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    assert gone.decoded("SEQUENCE") > first.decoded("SEQUENCE")  # a subscribed calendar replaces what it holds
    assert all("DTSTAMP" in e for e in events)


def test_an_empty_feed_is_still_a_calendar() -> None:
    calendar = Calendar.from_ical(render_feed([]))
    assert calendar.walk("VEVENT") == []


def test_tokens_are_random_and_stored_only_as_their_hash() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50 and all(len(token) >= 43 for token in tokens)
    token = next(iter(tokens))
    assert token_hash(token) == token_hash(token) and token not in token_hash(token)
    assert len({token_hash(t) for t in tokens}) == 50


def test_a_feed_name_is_a_token_and_the_ics_suffix() -> None:
    assert token_of_feed("abc-_123.ics") == "abc-_123"
    for name in ("abc", ".ics", "abc.ical", "abc.ics.txt", ""):
        assert token_of_feed(name) is None, name
