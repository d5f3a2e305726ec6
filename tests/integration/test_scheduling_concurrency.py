"""Scheduling races, for real over HTTP against the local stack: eight patients holding one slot at once, a hold
racing a booking of the same time, two bookings of one hold, and a cancellation racing a reschedule."""

from __future__ import annotations

from collections import Counter
from typing import Any

from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.concurrency import at_once
from tests.support.practice import practice_admin, therapist
from tests.support.scheduling import availability, book, hold, hour_ahead, request
from tests.support.users import make_user


def _therapist(stack: RunningStack, auth: AuthEmulator) -> tuple[str, AuthAccount]:
    dr = therapist(stack, auth, practice_admin(auth), "dr.race@example.com")
    response = request(stack, "PUT", f"therapists/{dr.profile_id}/availability", dr.account, availability())
    assert response.status_code == 200, response.text
    return dr.profile_id, dr.account


def _slots(stack: RunningStack, who: AuthAccount, therapist_id: str, first: str, last: str) -> list[str]:
    response = request(stack, "GET", f"therapists/{therapist_id}/slots?from={first}&to={last}", who)
    assert response.status_code == 200, response.text
    return [slot["start"] for slot in response.json()]


def test_of_eight_patients_holding_one_slot_exactly_one_wins(stack: RunningStack, auth: AuthEmulator) -> None:
    therapist_id, _ = _therapist(stack, auth)
    patients = [make_user(auth, f"racer{n}@example.com") for n in range(8)]
    start = hour_ahead(2)
    answers = at_once(*(lambda who=who: hold(stack, who, therapist_id, start) for who in patients))
    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {201: 1, 409: 7}, [a.text for a in answers]
    assert {a.json()["message"] for a in answers if a.status_code == 409} == {"SLOT_TAKEN"}
    assert start not in _slots(stack, patients[0], therapist_id, hour_ahead(2, 9), hour_ahead(2, 12))


def test_a_hold_racing_a_booking_of_the_same_time(stack: RunningStack, auth: AuthEmulator) -> None:
    therapist_id, _ = _therapist(stack, auth)
    pat, other = make_user(auth, "pat@example.com"), make_user(auth, "other@example.com")
    start = hour_ahead(3)
    held = hold(stack, pat, therapist_id, start).json()
    booked, competing = at_once(lambda: book(stack, pat, held["id"]), lambda: hold(stack, other, therapist_id, start))
    assert (booked.status_code, competing.status_code) == (201, 409), (booked.text, competing.text)
    assert booked.json()["start"] == start


def test_two_bookings_of_one_hold_make_one_appointment(stack: RunningStack, auth: AuthEmulator) -> None:
    therapist_id, _ = _therapist(stack, auth)
    pat = make_user(auth, "pat@example.com")
    held = hold(stack, pat, therapist_id, hour_ahead(4)).json()
    answers = at_once(lambda: book(stack, pat, held["id"]), lambda: book(stack, pat, held["id"]))
    assert sorted(a.status_code for a in answers) == [201, 410], [a.text for a in answers]
    listed: dict[str, Any] = request(stack, "GET", "appointments", pat).json()
    assert len(listed["items"]) == 1


def test_a_cancellation_racing_a_reschedule(stack: RunningStack, auth: AuthEmulator) -> None:
    therapist_id, _ = _therapist(stack, auth)
    pat = make_user(auth, "pat@example.com")
    old, new = hour_ahead(5, 10), hour_ahead(5, 14)
    appointment = book(stack, pat, hold(stack, pat, therapist_id, old).json()["id"]).json()
    moving = hold(stack, pat, therapist_id, new).json()
    cancelled, moved = at_once(
        lambda: request(stack, "POST", f"appointments/{appointment['id']}/cancel", pat, {}),
        lambda: request(stack, "POST", f"appointments/{appointment['id']}/reschedule", pat, {"holdId": moving["id"]}),
    )
    assert cancelled.status_code == 201, cancelled.text
    final = request(stack, "GET", f"appointments/{appointment['id']}", pat).json()
    assert final["status"] == "cancelled"
    offered = _slots(stack, pat, therapist_id, hour_ahead(5, 9), hour_ahead(5, 16))
    assert old in offered
    if moved.status_code == 201:  # the reschedule went first: the cancellation freed the new time too
        assert final["start"] == new and new in offered
    else:  # the cancellation went first: the reschedule found it cancelled, and the hold still keeps its time
        assert (moved.status_code, moved.json()["message"]) == (409, "ALREADY_CANCELLED")
        assert new not in offered
