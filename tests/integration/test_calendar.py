"""Reminders and calendar feeds against the emulators, with a pinned clock: each reminder reaches both parties
once however often the job fires (called directly, and fired through Pub/Sub as the scheduler does), and a feed
lists its owner's booked and cancelled sessions until its token is rotated or erased."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from bloom.calendar import feeds, reminders
from bloom.core.errors import BloomError
from bloom.scheduling import appointments, availability, holds
from bloom.scheduling import service as scheduling
from bloom.scheduling.schemas import (
    Appointment,
    AvailabilityBody,
    CancelAppointment,
    CreateAppointment,
    CreateHold,
    Meeting,
)
from bloom.users.schemas import Caller
from infra.stack_runner import RunningStack
from tests.support.notices import assert_no_clinical_text, fire_job, inbox, seed_therapist, seed_user
from tests.support.scheduling import availability as availability_body
from tests.support.scheduling import patient_caller, therapist_caller

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)  # a Monday
DR = therapist_caller("dr-user", "dr")
PAT, OTHER = patient_caller("pat"), patient_caller("other")
JOB = "send_appointment_reminders"


@pytest.fixture
def practice(stack: RunningStack) -> RunningStack:
    seed_therapist("dr", "dr-user")
    for user_id in ("dr-user", "pat", "other"):
        seed_user(user_id)
    availability.put_availability(DR, "dr", AvailabilityBody.model_validate(availability_body()), now=NOW)
    return stack


def book(start: datetime, caller: Caller = PAT) -> Appointment:
    hold = holds.create_hold(caller, CreateHold(therapist_id="dr", start=start), now=NOW)
    return appointments.book(caller, CreateAppointment(hold_id=hold.id), now=NOW)


def test_each_reminder_reaches_both_parties_once_however_often_the_job_runs(practice: RunningStack) -> None:
    start = NOW + timedelta(days=1, hours=2)
    session = book(start)
    cancelled = book(start + timedelta(hours=2))
    appointments.cancel(PAT, cancelled.id, CancelAppointment(reason="private words"), now=NOW)

    assert reminders.send_reminders(start - timedelta(hours=25)) == 0  # too early
    day_before = start - timedelta(hours=24) + timedelta(minutes=1)
    assert reminders.send_reminders(day_before) == 2
    for again in (day_before, day_before + timedelta(minutes=5), day_before + timedelta(minutes=25)):
        assert reminders.send_reminders(again) == 0
    hour_before = start - timedelta(hours=1) + timedelta(minutes=1)
    assert reminders.send_reminders(hour_before) == 2
    assert reminders.send_reminders(hour_before + timedelta(minutes=5)) == 0

    expected = {f"reminder-24h-{session.id}", f"reminder-1h-{session.id}"}
    for uid in ("uid-pat", "uid-dr-user"):
        found = inbox(uid)
        assert set(found) == expected, uid
        for notice in found.values():
            assert (notice.kind, notice.title, notice.link) == (
                "appointment_reminder",
                "Appointment reminder",
                f"/appointments/{session.id}",
            )
            assert_no_clinical_text(notice, "private words", "dr seed")
    assert inbox("uid-other") == {}


def test_the_scheduled_job_sends_each_reminder_once_across_repeated_fires(practice: RunningStack) -> None:
    start = NOW + timedelta(hours=3)
    session = book(start, OTHER)
    hour_before = start - timedelta(hours=1) + timedelta(minutes=2)
    for _ in range(3):
        fire_job(JOB, hour_before)
    fire_job(JOB, hour_before + timedelta(minutes=5))
    assert set(inbox("uid-other")) == {f"reminder-1h-{session.id}"}
    assert set(inbox("uid-dr-user")) == {f"reminder-1h-{session.id}"}


def feed_of(name: str) -> Calendar:
    return Calendar.from_ical(feeds.feed(name))


def feed_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_a_feed_lists_its_owners_sessions_until_its_token_is_rotated_or_erased(practice: RunningStack) -> None:
    first = book(NOW + timedelta(days=1, hours=2))
    second = book(NOW + timedelta(days=2, hours=2))
    book(NOW + timedelta(days=3, hours=2), OTHER)
    scheduling.attach_meeting(first.id, Meeting(provider="zoom", join_url="https://zoom.example/j/1"))
    appointments.cancel(PAT, second.id, CancelAppointment(reason="private words"), now=NOW)

    url = feeds.rotate_token(PAT).url
    assert url.startswith(f"{practice.api}/calendar/") and url.endswith(".ics")
    events = {str(event["UID"]): event for event in feed_of(feed_name(url)).walk("VEVENT")}
    assert set(events) == {f"{first.id}@bloom.chayn.co", f"{second.id}@bloom.chayn.co"}
    shown = events[f"{first.id}@bloom.chayn.co"]
    assert (str(shown["STATUS"]), str(shown["URL"]), str(shown["SUMMARY"])) == (
        "CONFIRMED",
        "https://zoom.example/j/1",
        "Therapy session",
    )
    assert shown.decoded("DTSTART") == first.start and shown.decoded("DTEND") == first.end
    assert str(events[f"{second.id}@bloom.chayn.co"]["STATUS"]) == "CANCELLED"
    assert "private words" not in feeds.feed(feed_name(url))

    therapist_feed = feed_of(feed_name(feeds.rotate_token(DR).url))
    assert len(therapist_feed.walk("VEVENT")) == 3  # the therapist's: every patient's session

    rotated = feeds.rotate_token(PAT).url
    assert rotated != url and len(feed_of(feed_name(rotated)).walk("VEVENT")) == 2
    for gone in (feed_name(url), "unknown.ics", feed_name(rotated).removesuffix(".ics"), ".ics"):
        with pytest.raises(BloomError) as refused:
            feeds.feed(gone)
        assert refused.value.message == "CALENDAR FEED NOT FOUND"

    feeds.erase_feeds("pat")
    feeds.erase_feeds("pat")
    with pytest.raises(BloomError):
        feeds.feed(feed_name(rotated))
