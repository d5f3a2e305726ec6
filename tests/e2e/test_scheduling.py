"""Scheduling over HTTP, as the frontend does it: slots of one therapist across the next DST change of several
zones, exceptions, buffer, notice and horizon; slots in two Firestore round trips; holding, booking, expiry,
cancelling with the refund decision, rescheduling and paged lists; availability refused with the field named."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bloom.core.time import utcnow
from bloom.platform.store.unit_of_work import UnitOfWork
from bloom.scheduling import service
from bloom.users.events import USER_DELETED, UserDeleted
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.practice import Therapist, patient, practice_admin, therapist
from tests.support.scheduling import DAYS, availability, book, expire_hold, hold, hour_ahead, request
from tests.support.wait import eventually

ROUND_TRIPS = "X-Bloom-Firestore-Round-Trips"


def z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def next_change(zone: ZoneInfo) -> datetime:
    """The first UTC hour, from two days on, at which the zone's offset differs from the hour before."""
    moment = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    for _ in range(24 * 170):
        if (moment + timedelta(hours=1)).astimezone(zone).utcoffset() != moment.astimezone(zone).utcoffset():
            return moment + timedelta(hours=1)
        moment += timedelta(hours=1)
    raise AssertionError("no change within 170 days")


def exists(day: date, hour: int, zone: ZoneInfo) -> bool:
    wall = datetime(day.year, day.month, day.day, hour)
    return wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


@pytest.fixture
def dr(stack: RunningStack, auth: AuthEmulator) -> Therapist:
    return therapist(stack, auth, practice_admin(auth), "dr.e2e@example.com")


def put(stack: RunningStack, dr: Therapist, **changes: Any) -> dict[str, Any]:
    response = request(stack, "PUT", f"therapists/{dr.profile_id}/availability", dr.account, availability(**changes))
    assert response.status_code == 200, response.text
    return dict(response.json())


def slots(stack: RunningStack, who: AuthAccount, dr: Therapist, first: str, last: str) -> list[dict[str, str]]:
    response = request(stack, "GET", f"therapists/{dr.profile_id}/slots?from={first}&to={last}", who)
    assert response.status_code == 200, response.text
    assert int(response.headers[ROUND_TRIPS]) <= 2
    return list(response.json())


@pytest.mark.parametrize("zone_name", ["America/New_York", "Europe/London", "Australia/Sydney"])
def test_slots_across_the_next_dst_change(
    zone_name: str, stack: RunningStack, auth: AuthEmulator, dr: Therapist
) -> None:
    zone = ZoneInfo(zone_name)
    change = next_change(zone)
    change_day = change.astimezone(zone).date()
    before, after = change_day - timedelta(days=1), change_day + timedelta(days=1)
    put(
        stack,
        dr,
        timezone=zone_name,
        weekly=[{"day": day, "start": "09:00", "end": "12:00"} for day in DAYS],
        exceptions=[{"date": change_day.isoformat(), "available": True, "start": "00:00", "end": "04:00"}],
        horizonDays=180,
    )
    first = datetime(before.year, before.month, before.day, tzinfo=zone)
    last = datetime(after.year, after.month, after.day, tzinfo=zone) + timedelta(days=1)
    found = slots(stack, patient(auth, "pat@example.com"), dr, z(first), z(last))
    local = [datetime.fromisoformat(slot["start"]).astimezone(zone) for slot in found]
    by_day: dict[date, list[str]] = {}
    for moment in local:
        by_day.setdefault(moment.date(), []).append(moment.strftime("%H:%M"))
    expected_change_day = [f"{hour:02d}:00" for hour in range(4) if exists(change_day, hour, zone)]
    assert by_day == {
        before: ["09:00", "10:00", "11:00"],
        change_day: expected_change_day,
        after: ["09:00", "10:00", "11:00"],
    }
    offsets = {moment.utcoffset() for moment in local if moment.date() in (before, after)}
    assert len(offsets) == 2  # the same local hours on both sides, at UTC times an hour apart
    assert all(
        datetime.fromisoformat(s["end"]) - datetime.fromisoformat(s["start"]) == timedelta(minutes=50) for s in found
    )


def test_buffer_notice_horizon_and_exceptions(stack: RunningStack, auth: AuthEmulator, dr: Therapist) -> None:
    pat = patient(auth, "pat@example.com")
    put(
        stack,
        dr,
        sessionMinutes=25,
        bufferMinutes=20,
        weekly=[{"day": d, "start": "09:00", "end": "11:00"} for d in DAYS],
    )
    day = hour_ahead(3, 0)
    assert [s["start"][11:16] for s in slots(stack, pat, dr, day, hour_ahead(4, 0))] == ["09:00", "09:45", "10:30"]

    put(stack, dr, minNoticeHours=48, horizonDays=4)
    now = datetime.now(UTC)
    found = [datetime.fromisoformat(s["start"]) for s in slots(stack, pat, dr, z(now), z(now + timedelta(days=6)))]
    assert found and min(found) >= now + timedelta(hours=48) and max(found) <= now + timedelta(days=4, minutes=1)

    off = (now + timedelta(days=3)).date().isoformat()
    put(stack, dr, exceptions=[{"date": off, "available": False}])
    assert slots(stack, pat, dr, f"{off}T00:00:00Z", f"{off}T23:59:00Z") == []


def test_slots_cost_two_round_trips_for_a_week_and_for_31_days(
    stack: RunningStack, auth: AuthEmulator, dr: Therapist
) -> None:
    put(stack, dr)
    pat = patient(auth, "pat@example.com")
    held = hold(stack, pat, dr.profile_id, hour_ahead(2))
    assert held.status_code == 201
    for days in (7, 31):
        response = request(
            stack, "GET", f"therapists/{dr.profile_id}/slots?from={hour_ahead(0, 0)}&to={hour_ahead(days, 0)}", pat
        )
        assert (response.status_code, response.headers[ROUND_TRIPS]) == (200, "2")
        assert hour_ahead(2) not in [slot["start"] for slot in response.json()]
    too_long = request(
        stack, "GET", f"therapists/{dr.profile_id}/slots?from={hour_ahead(0, 0)}&to={hour_ahead(32, 0)}", pat
    )
    assert too_long.status_code == 400


def test_hold_book_cancel_reschedule_over_http(stack: RunningStack, auth: AuthEmulator, dr: Therapist) -> None:
    put(stack, dr, price={"amount": 5000, "currency": "USD"}, lateCancelFee=2000)
    pat, other = patient(auth, "pat@example.com"), patient(auth, "other@example.com")
    start = hour_ahead(2)
    first = hold(stack, pat, dr.profile_id, start)
    assert first.status_code == 201
    body = first.json()
    assert set(body) == {"id", "therapistId", "patientId", "start", "end", "expiresAt", "purpose"}
    assert (body["start"], body["end"]) == (start, start.replace(":00:00Z", ":50:00Z"))
    taken = hold(stack, other, dr.profile_id, start)
    assert (taken.status_code, taken.json()["message"]) == (409, "SLOT_TAKEN")
    odd = hold(stack, other, dr.profile_id, start.replace(":00:00Z", ":20:00Z"))
    assert (odd.status_code, odd.json()["message"]) == (400, "NOT_A_SLOT")

    expire_hold(body["id"])
    expired = book(stack, pat, body["id"])
    assert (expired.status_code, expired.json()["message"]) == (410, "HOLD_EXPIRED")
    assert hold(stack, other, dr.profile_id, start).status_code == 201  # the expired hold kept nothing

    later = hour_ahead(3)
    appointment = book(stack, pat, hold(stack, pat, dr.profile_id, later).json()["id"])
    assert appointment.status_code == 201
    made = appointment.json()
    assert (made["status"], made["paymentStatus"], made["price"], made["meeting"]) == (
        "booked",
        "due",
        {"amount": 5000, "currency": "USD"},
        None,
    )
    moved = request(
        stack,
        "POST",
        f"appointments/{made['id']}/reschedule",
        pat,
        {"holdId": hold(stack, pat, dr.profile_id, hour_ahead(4)).json()["id"]},
    )
    assert (moved.status_code, moved.json()["start"]) == (201, hour_ahead(4))
    assert later in [s["start"] for s in slots(stack, other, dr, hour_ahead(3, 0), hour_ahead(5, 0))]

    cancelled = request(stack, "POST", f"appointments/{made['id']}/cancel", pat, {"reason": "moving house"})
    assert cancelled.status_code == 201
    assert cancelled.json()["refund"] == {"amount": 5000, "currency": "USD", "reason": "patient_early"}
    again = request(stack, "POST", f"appointments/{made['id']}/cancel", dr.account, {})
    assert (again.status_code, again.json()["message"]) == (409, "ALREADY_CANCELLED")


def test_appointment_lists_are_paged_by_start(stack: RunningStack, auth: AuthEmulator, dr: Therapist) -> None:
    put(stack, dr)
    pat = patient(auth, "pat@example.com")
    made = [
        book(stack, pat, hold(stack, pat, dr.profile_id, hour_ahead(2, h)).json()["id"]).json() for h in (9, 11, 13)
    ]
    seen: list[str] = []
    cursor = None
    while True:
        query = "appointments?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = request(stack, "GET", query, pat).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == [item["id"] for item in made]
    mine = request(stack, "GET", "appointments", dr.account).json()["items"]
    assert [item["id"] for item in mine] == seen
    ranged = request(stack, "GET", f"appointments?from={hour_ahead(2, 10)}&to={hour_ahead(2, 12)}", pat).json()
    assert [item["id"] for item in ranged["items"]] == [made[1]["id"]]
    forged = request(stack, "GET", "appointments?cursor=not-a-cursor", pat)
    assert (forged.status_code, forged.json()["message"]) == (400, "INVALID_CURSOR")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {
                "weekly": [
                    {"day": "mon", "start": "09:00", "end": "12:00"},
                    {"day": "mon", "start": "10:00", "end": "11:00"},
                ]
            },
            "weekly",
        ),
        ({"weekly": [{"day": "mon", "start": "12:00", "end": "09:00"}]}, "weekly"),
        ({"timezone": "Nowhere/Special"}, "timezone"),
        ({"bufferMinutes": 90}, "bufferMinutes"),
        ({"lateCancelFee": 7000}, "lateCancelFee"),
    ],
)
def test_bad_availability_is_a_400_naming_the_field(
    change: dict[str, Any], field: str, stack: RunningStack, dr: Therapist
) -> None:
    response = request(stack, "PUT", f"therapists/{dr.profile_id}/availability", dr.account, availability(**change))
    assert response.status_code == 400
    assert any(field in message for message in response.json()["message"]), response.text


def test_a_deleted_patients_future_appointments_are_cancelled_and_holds_go(
    stack: RunningStack, auth: AuthEmulator, dr: Therapist
) -> None:
    put(stack, dr)
    pat, other = patient(auth, "pat@example.com"), patient(auth, "other@example.com")
    mine = book(stack, pat, hold(stack, pat, dr.profile_id, hour_ahead(2, 9)).json()["id"]).json()
    theirs = book(stack, other, hold(stack, other, dr.profile_id, hour_ahead(2, 10)).json()["id"]).json()
    pending = hold(stack, pat, dr.profile_id, hour_ahead(2, 11)).json()
    for _ in range(2):  # delivered twice: the subscriber is idempotent
        with UnitOfWork() as uow:
            uow.emit(USER_DELETED, UserDeleted(user_id=f"user-{pat.uid}", deleted_at=utcnow().isoformat()))
    cancelled = eventually(lambda: service.get_appointment(mine["id"]), lambda found: found.status == "cancelled")
    assert cancelled.refund is not None and cancelled.refund.reason == "erasure"
    eventually(lambda: service.holds_by_id([pending["id"]]), lambda found: found == {})
    assert service.get_appointment(theirs["id"]).status == "booked"
    offered = [s["start"] for s in slots(stack, other, dr, hour_ahead(2, 8), hour_ahead(2, 12))]
    assert hour_ahead(2, 9) in offered and hour_ahead(2, 11) in offered and hour_ahead(2, 10) not in offered
