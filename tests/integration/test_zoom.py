"""The Zoom client against a local fake that checks what we send, with its token cached in the real Firestore
emulator: one token request for concurrent meeting creations, a refused token replaced once, meetings created,
found, moved and deleted as the spec describes, and failures classified."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pytest_httpserver import HTTPServer

from bloom.telehealth.providers import CreatedMeeting, ProviderRefused, ProviderUnavailable, meeting_topic
from bloom.telehealth.zoom import ZoomMeetings
from infra.stack_runner import RunningStack
from tests.support.settings import SettingsEnv
from tests.support.telehealth import Zoom, telehealth_env

START = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)
END = START + timedelta(minutes=50)


@pytest.fixture
def zoom(stack: RunningStack, httpserver: HTTPServer, settings_env: SettingsEnv) -> Zoom:
    for name, value in telehealth_env(httpserver.url_for("/")).items():
        settings_env.set(name, value)
    return Zoom().install(httpserver)


def test_concurrent_meeting_creations_make_one_token_request(zoom: Zoom) -> None:
    created: list[CreatedMeeting] = []
    barrier = threading.Barrier(6)

    def create(n: int) -> None:
        barrier.wait()
        created.append(ZoomMeetings().create(f"appointment-{n}", START, END))

    threads = [threading.Thread(target=create, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(created) == 6 and len({meeting.meeting_id for meeting in created}) == 6
    assert zoom.count("POST", "/zoom-oauth") == 1
    assert zoom.count("POST", "/zoom/v2/users/me/meetings") == 6
    ZoomMeetings().move(created[0].meeting_id, START + timedelta(days=1), END + timedelta(days=1))
    assert zoom.count("POST", "/zoom-oauth") == 1  # still cached


def test_the_meeting_is_scheduled_with_waiting_room_and_no_recording(zoom: Zoom) -> None:
    meeting = ZoomMeetings().create("appointment-1", START, END)
    stored = zoom.meetings[int(meeting.meeting_id)]
    assert meeting.join_url == stored["join_url"]
    assert stored["topic"] == meeting_topic("appointment-1") == "Bloom session appointment-1"
    assert (stored["start_time"], stored["duration"], stored["timezone"]) == ("2030-03-04T10:00:00Z", 50, "UTC")
    assert stored["settings"] == {"waiting_room": True, "auto_recording": "none", "join_before_host": False}
    paris = ZoomMeetings().create("appointment-2", START.astimezone(timezone(timedelta(hours=1))), END)
    assert zoom.meetings[int(paris.meeting_id)]["start_time"] == "2030-03-04T10:00:00Z"  # sent in UTC


def test_a_refused_token_is_dropped_and_refreshed_once(zoom: Zoom) -> None:
    meeting = ZoomMeetings().create("appointment-1", START, END)
    zoom.revoked.add("zoom-token-1")
    later = START + timedelta(hours=2)
    ZoomMeetings().move(meeting.meeting_id, later, later + timedelta(minutes=25))
    assert [(method, status) for method, _, status in zoom.calls] == [
        ("POST", 200),  # token 1
        ("POST", 201),
        ("PATCH", 401),
        ("POST", 200),  # token 2
        ("PATCH", 204),
    ]
    assert zoom.meetings[int(meeting.meeting_id)]["start_time"] == "2030-03-04T12:00:00Z"
    assert zoom.meetings[int(meeting.meeting_id)]["duration"] == 25


def test_a_fresh_token_refused_too_is_a_refusal(zoom: Zoom) -> None:
    ZoomMeetings().create("appointment-1", START, END)
    zoom.revoked.update(f"zoom-token-{n}" for n in range(1, 4))
    with pytest.raises(ProviderRefused, match="zoom refused a fresh token"):
        ZoomMeetings().create("appointment-2", START, END)
    assert zoom.count("POST", "/zoom-oauth") == 2


def test_a_token_is_cached_no_longer_than_its_lifetime(zoom: Zoom) -> None:
    zoom.token_seconds = 300  # no longer than the safety margin: never reused
    ZoomMeetings().create("appointment-1", START, END)
    ZoomMeetings().create("appointment-2", START, END)
    assert zoom.count("POST", "/zoom-oauth") == 2


def test_a_lost_creation_is_found_by_its_topic_and_deleting_twice_is_fine(zoom: Zoom) -> None:
    zoom.lose_next_create = True
    with pytest.raises(ProviderUnavailable):
        ZoomMeetings().create("appointment-1", START, END)
    ZoomMeetings().create("appointment-2", START, END)
    found = ZoomMeetings().find("appointment-1")
    assert found is not None and zoom.meetings[int(found.meeting_id)]["topic"] == "Bloom session appointment-1"
    assert ZoomMeetings().find("appointment-3") is None
    ZoomMeetings().delete(found.meeting_id)
    ZoomMeetings().delete(found.meeting_id)  # Zoom's 404: already gone
    assert int(found.meeting_id) not in zoom.meetings


def test_failures_are_classified(zoom: Zoom, settings_env: SettingsEnv) -> None:
    zoom.down = True
    with pytest.raises(ProviderUnavailable, match="HTTP 503"):
        ZoomMeetings().create("appointment-1", START, END)
    zoom.down = False
    with pytest.raises(ProviderRefused, match="HTTP 404"):
        ZoomMeetings().move("123", START, END)
    settings_env.set("ZOOM_CLIENT_SECRET", "wrong")
    zoom.revoked.add("zoom-token-1")  # so that a new token is asked for, with the wrong secret
    with pytest.raises(ProviderRefused, match="zoom token: HTTP 400"):
        ZoomMeetings().create("appointment-2", START, END)
    settings_env.unset("ZOOM_CLIENT_SECRET")
    with pytest.raises(ProviderRefused, match="ZOOM_CLIENT_SECRET is not configured"):
        ZoomMeetings().create("appointment-2", START, END)
