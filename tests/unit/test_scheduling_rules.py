"""Scheduling's pure rules: slots from availability rules across both DST changes of several zones (one changing
at midnight), exceptions, buffer, notice and horizon; busy time and overlaps; the cancellation policy; attendance;
availability validation with the field named."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bloom.scheduling.models import (
    Busy,
    days_touching,
    is_slot,
    open_slots,
    overlaps,
    refund_decision,
    rule_slots,
    settled_status,
)
from bloom.scheduling.schemas import WEEKDAYS, Availability, AvailabilityBody, CreateHold, Money, SlotsQuery

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)  # "now" for rules where notice and horizon must not matter


def rules(zone: str = "Europe/London", **changes: Any) -> Availability:
    fields: dict[str, Any] = {
        "therapist_id": "dr",
        "timezone": zone,
        "weekly": [{"day": day, "start": "09:00", "end": "12:00"} for day in WEEKDAYS],
        "exceptions": [],
        "session_minutes": 50,
        "buffer_minutes": 10,
        "min_notice_hours": 0,
        "horizon_days": 180,
        "price": {"amount": 6000, "currency": "GBP"},
        "late_cancel_fee": None,
        "meeting_provider": "none",
        "updated_at": LONG_AGO,
        **changes,
    }
    return Availability.model_validate(fields)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def local_starts(found: list[tuple[datetime, datetime]], zone: str) -> list[str]:
    return [start.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") for start, _ in found]


def day_slots(availability: Availability, day: date) -> list[tuple[datetime, datetime]]:
    zone = ZoneInfo(availability.timezone)
    first = datetime(day.year, day.month, day.day, tzinfo=zone)
    return rule_slots(availability, first.astimezone(UTC), (first + timedelta(days=1)).astimezone(UTC))


# (zone, the day before a change, the day after it): both changes of the year for each zone.
DST_CHANGES = [
    ("America/New_York", date(2026, 3, 7), date(2026, 3, 9)),
    ("America/New_York", date(2026, 10, 31), date(2026, 11, 2)),
    ("Europe/London", date(2026, 3, 28), date(2026, 3, 30)),
    ("Europe/London", date(2026, 10, 24), date(2026, 10, 26)),
    ("Australia/Sydney", date(2026, 4, 4), date(2026, 4, 6)),
    ("Australia/Sydney", date(2026, 10, 3), date(2026, 10, 5)),
    ("America/Havana", date(2026, 3, 7), date(2026, 3, 9)),  # changes at midnight
    ("America/Havana", date(2026, 10, 31), date(2026, 11, 2)),
]


@pytest.mark.parametrize(("zone", "before", "after"), DST_CHANGES)
def test_a_nine_oclock_rule_is_nine_local_on_both_sides_of_a_change(zone: str, before: date, after: date) -> None:
    availability = rules(zone)
    first = day_slots(availability, before)
    second = day_slots(availability, after)
    assert local_starts(first, zone) == [f"{before} 09:00", f"{before} 10:00", f"{before} 11:00"]
    assert local_starts(second, zone) == [f"{after} 09:00", f"{after} 10:00", f"{after} 11:00"]
    shift = (second[0][0] - first[0][0]) - timedelta(days=2)
    assert abs(shift) == timedelta(hours=1)  # the UTC time moved by the change; the local time did not
    assert all(end - start == timedelta(minutes=50) for start, end in first + second)


@pytest.mark.parametrize(
    ("zone", "day", "rule", "expected"),
    [
        # spring forward: the local hour that does not exist is skipped
        ("America/New_York", date(2026, 3, 8), ("01:00", "04:00"), ["01:00", "03:00"]),
        ("Europe/London", date(2026, 3, 29), ("00:00", "03:00"), ["00:00", "02:00"]),
        ("Australia/Sydney", date(2026, 10, 4), ("01:00", "04:00"), ["01:00", "03:00"]),
        ("America/Havana", date(2026, 3, 8), ("00:00", "03:00"), ["01:00", "02:00"]),
        # fall back: a repeated local time is offered once (its first occurrence)
        ("America/New_York", date(2026, 11, 1), ("00:00", "03:00"), ["00:00", "01:00", "02:00"]),
        ("Europe/London", date(2026, 10, 25), ("00:00", "03:00"), ["00:00", "01:00", "02:00"]),
        ("Australia/Sydney", date(2026, 4, 5), ("01:00", "04:00"), ["01:00", "02:00", "03:00"]),
        ("America/Havana", date(2026, 11, 1), ("00:00", "02:00"), ["00:00", "01:00"]),
    ],
)
def test_the_day_of_a_change(zone: str, day: date, rule: tuple[str, str], expected: list[str]) -> None:
    weekday = WEEKDAYS[day.weekday()]
    availability = rules(zone, weekly=[{"day": weekday, "start": rule[0], "end": rule[1]}])
    found = day_slots(availability, day)
    assert local_starts(found, zone) == [f"{day} {clock}" for clock in expected]
    assert len({start for start, _ in found}) == len(found)


def test_an_ambiguous_time_is_its_first_occurrence() -> None:
    availability = rules("America/New_York", weekly=[{"day": "sun", "start": "01:00", "end": "02:00"}])
    [(start, _)] = day_slots(availability, date(2026, 11, 1))
    assert start == utc("2026-11-01T05:00:00+00:00")  # 01:00 EDT, not 01:00 EST (06:00Z)


def test_slots_step_by_session_plus_buffer_and_fit_the_range() -> None:
    availability = rules(
        weekly=[{"day": "mon", "start": "09:00", "end": "11:30"}], session_minutes=25, buffer_minutes=20
    )
    found = day_slots(availability, date(2026, 6, 1))
    assert local_starts(found, "Europe/London") == ["2026-06-01 09:00", "2026-06-01 09:45", "2026-06-01 10:30"]
    ends = [end.astimezone(ZoneInfo("Europe/London")).strftime("%H:%M") for _, end in found]
    assert ends == ["09:25", "10:10", "10:55"]  # 11:15 would end at 11:40, after the range


def test_a_range_to_midnight_is_offered_to_its_end() -> None:
    availability = rules(
        weekly=[{"day": "mon", "start": "22:00", "end": "24:00"}], session_minutes=50, buffer_minutes=10
    )
    assert local_starts(day_slots(availability, date(2026, 6, 1)), "Europe/London") == [
        "2026-06-01 22:00",
        "2026-06-01 23:00",
    ]


def test_exceptions_remove_a_day_or_replace_its_hours() -> None:
    availability = rules(
        exceptions=[
            {"date": "2026-06-01", "available": False},
            {"date": "2026-06-02", "available": True, "start": "14:00", "end": "16:00"},
        ]
    )
    assert day_slots(availability, date(2026, 6, 1)) == []
    assert local_starts(day_slots(availability, date(2026, 6, 2)), "Europe/London") == [
        "2026-06-02 14:00",
        "2026-06-02 15:00",
    ]
    assert len(day_slots(availability, date(2026, 6, 3))) == 3  # the week's hours again


def test_busy_time_with_its_buffer_removes_the_slots_it_meets() -> None:
    availability = rules(buffer_minutes=10)
    first, last = utc("2026-06-01T00:00:00+00:00"), utc("2026-06-02T00:00:00+00:00")
    ten = utc("2026-06-01T10:00:00+01:00")
    now = first - timedelta(days=1)
    booked = Busy(start=ten, until=ten + timedelta(minutes=60))  # 10:00-10:50 and its 10 minutes
    assert local_starts(open_slots(availability, [booked], first, last, now), "Europe/London") == [
        "2026-06-01 09:00",
        "2026-06-01 11:00",
    ]
    # a hold kept by someone else from 10:55 (other rules) meets the 10:00 slot's buffer, and the 11:00 slot
    late = ten + timedelta(minutes=55)
    assert len(open_slots(availability, [Busy(start=late, until=late + timedelta(minutes=30))], first, last, now)) == 1


def test_an_expired_hold_keeps_nothing() -> None:
    ten = utc("2026-06-01T09:00:00+00:00")
    hold = Busy(start=ten, until=ten + timedelta(hours=1), expires_at=ten - timedelta(minutes=1))
    assert not overlaps(ten, ten + timedelta(hours=1), [hold], now=ten)
    assert overlaps(ten, ten + timedelta(hours=1), [hold], now=ten - timedelta(minutes=2))
    assert not overlaps(ten + timedelta(hours=1), ten + timedelta(hours=2), [hold], now=LONG_AGO)  # touching only


def test_notice_and_horizon_bound_what_is_offered() -> None:
    availability = rules("UTC", min_notice_hours=24, horizon_days=2)
    now = utc("2026-06-01T10:30:00+00:00")
    found = open_slots(availability, [], now - timedelta(days=1), now + timedelta(days=5), now)
    assert [start.isoformat() for start, _ in found] == [
        "2026-06-02T11:00:00+00:00",
        "2026-06-03T09:00:00+00:00",
        "2026-06-03T10:00:00+00:00",
    ]
    assert is_slot(availability, utc("2026-06-02T11:00:00+00:00"), now)
    assert not is_slot(availability, utc("2026-06-02T10:00:00+00:00"), now)  # inside the notice
    assert not is_slot(availability, utc("2026-06-03T11:00:00+00:00"), now)  # beyond the horizon
    assert not is_slot(availability, utc("2026-06-02T11:30:00+00:00"), now)  # not a slot start


def test_the_days_a_claim_reads_cover_entries_from_the_day_before() -> None:
    start = utc("2026-06-02T00:30:00+00:00")
    assert days_touching(start, start + timedelta(hours=1)) == [date(2026, 6, 1), date(2026, 6, 2)]
    late = utc("2026-06-02T23:30:00+00:00")
    assert days_touching(late, late + timedelta(hours=1)) == [date(2026, 6, 2), date(2026, 6, 3)]


GBP = Money(amount=6000, currency="GBP")
START = utc("2026-06-10T10:00:00+00:00")


@pytest.mark.parametrize(
    ("role", "before_start", "fee", "refunded", "reason"),
    [
        ("patient", timedelta(hours=24), None, 6000, "patient_early"),
        ("patient", timedelta(days=3), 2000, 6000, "patient_early"),
        ("patient", timedelta(hours=23, minutes=59), None, 0, "patient_late"),
        ("patient", timedelta(hours=2), 2000, 4000, "patient_late"),
        ("patient", timedelta(hours=2), 0, 6000, "patient_late"),
        ("therapist", timedelta(hours=1), 2000, 6000, "therapist"),
        ("practice_admin", timedelta(minutes=5), None, 6000, "practice_admin"),
        ("erasure", timedelta(minutes=5), None, 6000, "erasure"),
    ],
)
def test_the_cancellation_policy(
    role: Any, before_start: timedelta, fee: int | None, refunded: int, reason: str
) -> None:
    decision = refund_decision(role, now=START - before_start, start=START, price=GBP, late_cancel_fee=fee)
    assert (decision.amount, decision.currency, decision.reason) == (refunded, "GBP", reason)


def test_a_free_appointment_refunds_nothing() -> None:
    free = Money(amount=0, currency="GBP")
    assert refund_decision("patient", now=START, start=START, price=free, late_cancel_fee=None).amount == 0


@pytest.mark.parametrize(
    ("therapist_seen", "patient_seen", "status"),
    [(True, True, "completed"), (True, False, "no_show"), (False, True, "no_show"), (False, False, "no_show")],
)
def test_attendance_settles_the_status(therapist_seen: bool, patient_seen: bool, status: str) -> None:
    assert settled_status(therapist_seen=therapist_seen, patient_seen=patient_seen) == status


VALID: dict[str, Any] = {
    "timezone": "Europe/London",
    "weekly": [{"day": "mon", "start": "09:00", "end": "12:00"}],
    "sessionMinutes": 50,
    "bufferMinutes": 10,
    "minNoticeHours": 24,
    "horizonDays": 60,
    "price": {"amount": 6000, "currency": "GBP"},
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {
                "weekly": [
                    {"day": "mon", "start": "09:00", "end": "12:00"},
                    {"day": "mon", "start": "11:00", "end": "13:00"},
                ]
            },
            "weekly",
        ),
        ({"weekly": [{"day": "mon", "start": "12:00", "end": "09:00"}]}, "weekly"),
        ({"weekly": [{"day": "mon", "start": "09:00", "end": "09:00"}]}, "weekly"),
        ({"weekly": [{"day": "mon", "start": "9am", "end": "12:00"}]}, "weekly"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"sessionMinutes": 60}, "sessionMinutes"),
        ({"bufferMinutes": 61}, "bufferMinutes"),
        ({"minNoticeHours": 169}, "minNoticeHours"),
        ({"horizonDays": 0}, "horizonDays"),
        ({"horizonDays": 181}, "horizonDays"),
        ({"price": {"amount": -1, "currency": "GBP"}}, "price"),
        ({"price": {"amount": 100, "currency": "pounds"}}, "price"),
        ({"lateCancelFee": 7000}, "lateCancelFee"),
        ({"exceptions": [{"date": "2026-06-01", "available": True}]}, "exceptions"),
        ({"exceptions": [{"date": "2026-06-01", "available": True, "start": "10:00", "end": "09:00"}]}, "exceptions"),
        ({"meetingProvider": "skype"}, "meetingProvider"),
    ],
)
def test_bad_availability_is_refused_with_the_field_named(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        AvailabilityBody.model_validate({**VALID, **change})
    assert field in str(raised.value)


def test_good_availability_passes() -> None:
    body = AvailabilityBody.model_validate({**VALID, "lateCancelFee": 6000, "meetingProvider": "zoom"})
    assert (body.late_cancel_fee, body.meeting_provider, body.exceptions) == (6000, "zoom", [])


@pytest.mark.parametrize("moment", ["9999-12-31T23:00:00Z", "0001-01-01T00:00:00Z", "1999-12-31T23:59:59Z"])
def test_times_outside_the_schedulable_years_are_refused(moment: str) -> None:
    """Far times would overflow the slot arithmetic (a 500): they are a 400 instead."""
    with pytest.raises(ValidationError, match="between 2000 and 2200"):
        CreateHold.model_validate({"therapistId": "dr", "start": moment})
    with pytest.raises(ValidationError, match="between 2000 and 2200"):
        SlotsQuery.model_validate({"from": "2030-01-01T00:00:00Z", "to": moment})
