"""The calendar feed over HTTP, as calendar software reads it: a secret address per user, `text/calendar` in
RFC 5545, 404 (JSON) for an unknown or rotated token, and the token never in a log line."""

from __future__ import annotations

import requests
from icalendar import Calendar

from infra.auth_emulator import AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.accounts import call
from tests.support.notices import booked, practice_with_time
from tests.support.scheduling import hour_ahead, request


def test_a_feed_serves_the_owners_sessions_until_its_address_is_rotated(
    stack: RunningStack, auth: AuthEmulator
) -> None:
    practice = practice_with_time(stack, auth)
    assert stack.log_path is not None
    log_offset = stack.log_path.stat().st_size
    session = booked(stack, practice, practice.patient, hour_ahead(2))
    cancelled = booked(stack, practice, practice.patient, hour_ahead(3))
    assert request(stack, "POST", f"appointments/{cancelled['id']}/cancel", practice.patient, {}).ok
    booked(stack, practice, practice.other, hour_ahead(4))

    url = call(stack, "POST", "practice/calendar/token", practice.patient)["url"]
    assert url.startswith(f"{stack.api}/calendar/") and url.endswith(".ics")
    feed = requests.get(url, timeout=30)
    assert feed.status_code == 200 and feed.headers["Content-Type"].startswith("text/calendar"), feed.text
    events = {str(event["UID"]).split("@")[0]: event for event in Calendar.from_ical(feed.text).walk("VEVENT")}
    assert set(events) == {session["id"], cancelled["id"]}
    assert [str(events[key]["STATUS"]) for key in (session["id"], cancelled["id"])] == ["CONFIRMED", "CANCELLED"]
    assert "Pat" not in feed.text and "Dr Test" not in feed.text

    therapist_url = call(stack, "POST", "practice/calendar/token", practice.therapist.account)["url"]
    assert len(Calendar.from_ical(requests.get(therapist_url, timeout=30).text).walk("VEVENT")) == 3

    rotated = call(stack, "POST", "practice/calendar/token", practice.patient)["url"]
    assert requests.get(rotated, timeout=30).status_code == 200
    for gone in (url, f"{stack.api}/calendar/not-a-token.ics", rotated.removesuffix(".ics")):
        refused = requests.get(gone, timeout=30)
        assert refused.status_code == 404 and refused.json()["message"] == "CALENDAR FEED NOT FOUND", gone

    with stack.log_path.open("rb") as log:
        log.seek(log_offset)
        logged = log.read().decode("utf-8", errors="replace")
    for address in (url, therapist_url, rotated):
        token = address.rsplit("/", 1)[1].removesuffix(".ics")
        assert token not in logged
    assert "GET /api/calendar/{feed} 200" in logged
