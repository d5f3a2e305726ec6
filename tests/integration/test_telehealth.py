"""Telehealth on the running stack: appointments booked, moved and cancelled through scheduling's use cases (with a
pinned clock), their meetings made, moved and deleted by the stack's subscribers against the Zoom and Meet fakes;
Zoom's webhook through the gateway (signed deliveries, attendance, refusals that write nothing); the settle job."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer

from bloom.platform.store.client import db
from bloom.platform.webhooks import DELIVERIES_COLLECTION
from bloom.scheduling import appointments, availability, erasure, holds, service
from bloom.scheduling.schemas import (
    Appointment,
    AvailabilityBody,
    CancelAppointment,
    CreateAppointment,
    CreateHold,
    RescheduleAppointment,
)
from bloom.telehealth import service as telehealth
from bloom.telehealth.models import MeetingRecord
from bloom.telehealth.repository import MeetingsRepository
from infra.stack_runner import RunningStack
from tests.support.events import WEBHOOKS, recorded_events, unsettled_events
from tests.support.scheduling import availability as availability_body
from tests.support.scheduling import patient_caller, therapist_caller
from tests.support.telehealth import Meet, Zoom, zoom_signature
from tests.support.wait import eventually

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)  # a Monday
DR = therapist_caller("dr-user", "dr")
PAT = patient_caller("pat")
HOST = "zoom-host-user"


def at(hour: int, days: int = 0) -> datetime:
    return NOW.replace(hour=hour) + timedelta(days=days)


def settled() -> None:
    """Wait until every subscriber has finished with every event recorded so far."""
    eventually(unsettled_events, lambda left: not left, timeout_s=90)


def book(provider: str, hour: int = 10) -> Appointment:
    body = AvailabilityBody.model_validate(availability_body(meetingProvider=provider))
    availability.put_availability(DR, "dr", body, now=NOW)
    hold = holds.create_hold(PAT, CreateHold(therapist_id="dr", start=at(hour)), now=NOW)
    return appointments.book(PAT, CreateAppointment(hold_id=hold.id), now=NOW)


def meeting_record(appointment_id: str) -> MeetingRecord:
    record = MeetingsRepository().get(appointment_id)
    assert record is not None
    return record


def post(stack: RunningStack, body: dict[str, Any], *, timestamp: int | None = None, secret: str | None = None) -> Any:
    raw = json.dumps(body).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = zoom_signature(raw, stamp) if secret is None else zoom_signature(raw, stamp, secret)
    headers = {"Content-Type": "application/json", "x-zm-signature": signature, "x-zm-request-timestamp": stamp}
    return requests.post(f"{stack.api}/webhooks/zoom", data=raw, headers=headers, timeout=30)


def joined(meeting_id: str, participant_id: str, participant_uuid: str) -> dict[str, Any]:
    participant = {
        "id": participant_id,
        "participant_uuid": participant_uuid,
        "user_name": "Someone",
        "email": "someone@example.com",
    }
    meeting = {"id": int(meeting_id), "uuid": "occurrence==", "host_id": HOST, "participant": participant}
    return {"event": "meeting.participant_joined", "event_ts": time.time_ns() // 10**6, "payload": {"object": meeting}}


def ended(meeting_id: str) -> dict[str, Any]:
    meeting = {"id": int(meeting_id), "uuid": "occurrence==", "host_id": HOST}
    return {"event": "meeting.ended", "event_ts": time.time_ns() // 10**6, "payload": {"object": meeting}}


@pytest.fixture
def zoom(stack: RunningStack, httpserver: HTTPServer) -> Zoom:
    return Zoom().install(httpserver)


def test_a_zoom_meeting_follows_its_appointment(zoom: Zoom) -> None:
    booked = book("zoom")
    assert booked.meeting is None  # made after the booking, outside its transaction
    settled()
    [(meeting_id, meeting)] = zoom.meetings.items()
    assert service.get_appointment(booked.id).model_dump(include={"meeting"}, by_alias=True) == {
        "meeting": {"provider": "zoom", "joinUrl": meeting["join_url"]}
    }
    assert (meeting["start_time"], meeting["duration"]) == ("2030-01-07T10:00:00Z", 50)
    assert meeting_record(booked.id).meeting_id == str(meeting_id)

    new = holds.create_hold(PAT, CreateHold(therapist_id="dr", start=at(14, days=1)), now=NOW)
    appointments.reschedule(PAT, booked.id, RescheduleAppointment(hold_id=new.id), now=NOW)
    settled()
    assert zoom.meetings[meeting_id]["start_time"] == "2030-01-08T14:00:00Z"

    appointments.cancel(PAT, booked.id, CancelAppointment(), now=NOW)
    settled()
    assert zoom.meetings == {}
    assert (meeting_record(booked.id).status, meeting_record(booked.id).join_url) == ("deleted", None)
    assert zoom.count("POST", "/zoom/v2/users/me/meetings") == 1 and zoom.count("POST", "/zoom-oauth") == 1


def test_an_erased_patients_future_meetings_are_deleted(zoom: Zoom) -> None:
    booked = book("zoom")
    settled()
    assert len(zoom.meetings) == 1
    assert erasure.erase_scheduling_of("pat", now=NOW) == 1  # scheduling cancels, telehealth deletes on the event
    settled()
    assert zoom.meetings == {} and meeting_record(booked.id).status == "deleted"


def test_a_creation_whose_answer_was_lost_is_found_not_made_twice(zoom: Zoom) -> None:
    zoom.lose_next_create = True  # Zoom makes the meeting, we get a 502: the subscriber raises, Pub/Sub redelivers
    booked = book("zoom")
    settled()
    assert len(zoom.meetings) == 1 and zoom.count("POST", "/zoom/v2/users/me/meetings") == 1
    assert zoom.count("GET", "/zoom/v2/users/me/meetings") == 1  # the redelivery looked it up
    [meeting] = zoom.meetings.values()
    appointment = service.get_appointment(booked.id)
    assert appointment.meeting is not None and appointment.meeting.join_url == meeting["join_url"]


def test_a_refused_creation_leaves_nothing_waiting_on_it(zoom: Zoom) -> None:
    zoom.refuse_creates = True
    booked = book("zoom")
    settled()
    assert MeetingsRepository().get(booked.id) is None and service.get_appointment(booked.id).meeting is None
    new = holds.create_hold(PAT, CreateHold(therapist_id="dr", start=at(14)), now=NOW)
    appointments.reschedule(PAT, booked.id, RescheduleAppointment(hold_id=new.id), now=NOW)
    settled()  # the move finds no meeting to move, instead of waiting for one forever
    assert zoom.meetings == {} and zoom.count("PATCH") == 0


def test_a_meet_appointment_gets_a_restricted_space(stack: RunningStack, httpserver: HTTPServer) -> None:
    meet = Meet().install(httpserver)
    booked = book("meet")
    settled()
    [space] = meet.spaces.values()
    appointment = service.get_appointment(booked.id)
    assert appointment.meeting is not None
    assert (appointment.meeting.provider, appointment.meeting.join_url) == ("meet", space["meetingUri"])
    assert meeting_record(booked.id).meeting_id == space["name"]
    appointments.cancel(PAT, booked.id, CancelAppointment(), now=NOW)
    settled()
    assert meeting_record(booked.id).status == "deleted" and len(meet.spaces) == 1  # Meet deletes no space


def test_no_meeting_for_a_therapist_without_a_provider(zoom: Zoom) -> None:
    booked = book("none")
    settled()
    assert service.get_appointment(booked.id).meeting is None and zoom.calls == []


def test_attendance_settles_the_appointment_when_the_meeting_ends(stack: RunningStack, zoom: Zoom) -> None:
    both, host_only = book("zoom", hour=10), book("zoom", hour=12)
    settled()
    both_id, host_only_id = meeting_record(both.id).meeting_id, meeting_record(host_only.id).meeting_id
    assert both_id is not None and host_only_id is not None
    deliveries = [
        joined(both_id, HOST, "p-therapist"),
        joined(both_id, "", "p-patient"),  # a guest admitted from the waiting room
        ended(both_id),
        joined(host_only_id, HOST, "p-therapist-2"),
        ended(host_only_id),
    ]
    for delivery in deliveries:
        response = post(stack, delivery)
        assert (response.status_code, response.json()) == (200, {"duplicate": False})
        settled()  # in Zoom's order
    assert post(stack, deliveries[0]).json() == {"duplicate": True}
    assert service.get_appointment(both.id).status == "completed"
    assert service.get_appointment(host_only.id).status == "no_show"
    record = meeting_record(both.id)
    assert (record.therapist_seen, record.patient_seen, record.ended_at is not None) == (True, True, True)
    stored = json.dumps([json.loads(entry.data) for entry in recorded_events(WEBHOOKS)])
    assert "someone@example.com" not in stored and "Someone" not in stored  # never kept


def test_a_refused_delivery_writes_nothing(stack: RunningStack, zoom: Zoom) -> None:
    booked = book("zoom")
    settled()
    meeting_id = meeting_record(booked.id).meeting_id
    assert meeting_id is not None
    before = meeting_record(booked.id)
    delivery = ended(meeting_id)
    for response in (
        post(stack, delivery, secret="not-the-secret"),
        post(stack, delivery, timestamp=int(time.time()) - 301),
        requests.post(f"{stack.api}/webhooks/zoom", json=delivery, timeout=30),
    ):
        assert response.status_code == 401
    assert recorded_events(WEBHOOKS) == []
    assert list(db().collection(DELIVERIES_COLLECTION).stream()) == []
    assert meeting_record(booked.id) == before and service.get_appointment(booked.id).status == "booked"


def test_the_url_validation_through_the_gateway(stack: RunningStack) -> None:
    response = post(stack, {"event": "endpoint.url_validation", "event_ts": 1, "payload": {"plainToken": "abc"}})
    assert response.status_code == 200 and response.json()["plainToken"] == "abc"
    assert len(response.json()["encryptedToken"]) == 64
    assert recorded_events(WEBHOOKS) == []


def test_the_settle_job_settles_what_no_callback_settled(stack: RunningStack, zoom: Zoom) -> None:
    no_evidence, host_seen = book("none", hour=10), book("zoom", hour=12)
    settled()
    meeting_id = meeting_record(host_seen.id).meeting_id
    assert meeting_id is not None
    assert post(stack, joined(meeting_id, HOST, "p-therapist")).status_code == 200  # and no meeting.ended
    settled()
    first_end = no_evidence.end  # 10:50; the second ends at 12:50
    assert telehealth.settle_ended_appointments(now=first_end + timedelta(minutes=59)) == 0  # not an hour yet
    assert telehealth.settle_ended_appointments(now=first_end + timedelta(hours=1)) == 1
    assert service.get_appointment(no_evidence.id).status == "completed"  # presumed held
    assert service.get_appointment(host_seen.id).status == "booked"
    assert telehealth.settle_ended_appointments(now=host_seen.end + timedelta(hours=1)) == 1
    assert service.get_appointment(host_seen.id).status == "no_show"  # the therapist alone was seen
    assert telehealth.settle_ended_appointments(now=at(20)) == 0  # nothing booked is left
