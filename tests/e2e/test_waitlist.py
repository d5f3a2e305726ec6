"""The waitlist over HTTP: a patient's entries, someone else's entry as not found (BOLA), a cancellation's freed
slot offered through the stack's own `slot.freed` subscriber with an in-app notice, and erasure of a deleted user's
entries, feed token and notifications."""

from __future__ import annotations

import requests

from bloom.calendar.repository import FeedOwnersRepository
from bloom.waitlist.repository import EntriesRepository
from infra.auth_emulator import AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.accounts import call
from tests.support.events import unsettled_events
from tests.support.notices import booked, inbox, practice_with_time
from tests.support.practice import user_id
from tests.support.scheduling import hour_ahead, request
from tests.support.wait import eventually

WAITLIST = "practice/waitlist"


def test_entries_are_their_patients_own(stack: RunningStack, auth: AuthEmulator) -> None:
    practice = practice_with_time(stack, auth)
    body = {"therapistId": practice.therapist.profile_id, "from": hour_ahead(1), "to": hour_ahead(2)}
    mine = call(stack, "POST", WAITLIST, practice.patient, json=body)
    assert (mine["status"], mine["offer"], mine["patientId"]) == ("waiting", None, user_id(practice.patient))
    assert call(stack, "GET", WAITLIST, practice.other) == {"items": []}
    assert [item["id"] for item in call(stack, "GET", WAITLIST, practice.patient)["items"]] == [mine["id"]]

    for stranger in (practice.other, practice.therapist.account):
        refused = request(stack, "DELETE", f"waitlist/{mine['id']}", stranger)
        assert (refused.status_code, refused.json()["message"]) == (404, "WAITLIST ENTRY NOT FOUND")
    unknown = {**body, "therapistId": "no-such-therapist"}
    assert request(stack, "POST", "waitlist", practice.patient, unknown).status_code == 404
    backwards = request(stack, "POST", "waitlist", practice.patient, {**body, "to": hour_ahead(0, 0)})
    assert backwards.status_code == 400

    left = call(stack, "DELETE", f"{WAITLIST}/{mine['id']}", practice.patient)
    assert left["status"] == "cancelled"


def test_a_cancelled_session_is_offered_to_the_waitlist_and_erasure_removes_it_all(
    stack: RunningStack, auth: AuthEmulator
) -> None:
    practice = practice_with_time(stack, auth)
    start = hour_ahead(2)
    session = booked(stack, practice, practice.other, start)
    body = {"therapistId": practice.therapist.profile_id, "from": hour_ahead(1), "to": hour_ahead(3)}
    entry = call(stack, "POST", WAITLIST, practice.patient, json=body)
    call(stack, "POST", "practice/calendar/token", practice.patient)

    assert request(stack, "POST", f"appointments/{session['id']}/cancel", practice.other, {}).ok
    offered = eventually(
        lambda: call(stack, "GET", WAITLIST, practice.patient)["items"][0], lambda item: item["status"] == "offered"
    )
    hold_id = offered["offer"]["holdId"]
    assert offered["offer"]["start"].replace("+00:00", "Z") == start
    assert list(inbox(practice.patient.uid)) == [f"waitlist-offer-{hold_id}"]
    assert offered["id"] == entry["id"]

    erased = requests.delete(f"{stack.api}/v1/user", headers=practice.patient.headers, timeout=30)
    assert erased.status_code == 200, erased.text
    eventually(lambda: unsettled_events("user.deleted"), lambda left: not left)
    assert inbox(practice.patient.uid) == {}
    assert FeedOwnersRepository().get(user_id(practice.patient)) is None
    assert EntriesRepository().of_patient(user_id(practice.patient)) == []
    again = booked(stack, practice, practice.other, start)  # the offer was released: the time is bookable
    assert again["start"].replace("+00:00", "Z") == start
