"""The booking ledger's rules, the Simplybook callback's verification and the therapy Slack notices (no I/O)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from bloom.core.errors import Unauthorized
from bloom.notifications.service import therapy_booked_message, therapy_cancelled_message
from bloom.therapy.events import TherapyBooked, TherapyCancelled
from bloom.therapy.models import Match, completion_step, first_record, needs_match, next_step
from bloom.therapy.schemas import TIMESTAMP_MAX, Booking, SimplybookNotification, ZapierBooking
from bloom.therapy.simplybook import CallbackCheck
from tests.support.settings import SettingsEnv

NOW = datetime(2031, 1, 1, 9, 0, tzinfo=UTC)
START = NOW + timedelta(days=1)


def booking(shift_h: int = 0) -> Booking:
    return Booking(
        code="abc", start_date_time=START + timedelta(hours=shift_h), end_date_time=START + timedelta(hours=shift_h + 1)
    )


def test_a_first_create_charges_and_a_first_cancel_is_remembered() -> None:
    charged = first_record("s1", "book", booking(), Match("u1", "a1", "p1"), NOW)
    assert charged.record is not None and charged.events == ("booked",)
    assert (charged.record.outcome, charged.record.charged_at, charged.record.partner_access_id) == (
        "booked",
        NOW,
        "a1",
    )
    rejected = first_record("s1", "book", booking(), Match("u1"), NOW).record
    unmatched = first_record("s1", "book", booking(), Match(None), NOW).record
    assert rejected is not None and (rejected.outcome, rejected.charged_at) == ("rejected", None)
    assert unmatched is not None and (unmatched.outcome, unmatched.user_id) == ("unmatched", None)
    cancel_first = first_record("s1", "cancel", booking(), None, NOW).record
    assert cancel_first is not None and cancel_first.cancelled_at == NOW and cancel_first.charged_at is None
    assert not needs_match(cancel_first, "book") and not needs_match(None, "cancel") and needs_match(None, "change")


def test_later_deliveries_charge_nothing_and_refund_at_most_once() -> None:
    record = first_record("s1", "book", booking(), Match("u1", "a1", "p1"), NOW).record
    assert record is not None
    assert next_step(record, "book", booking(), NOW).record is None
    assert next_step(record, "change", booking(), NOW).record is None  # same times
    moved = next_step(record, "change", booking(2), NOW)
    assert moved.record is not None and moved.record.rescheduled_from == START and moved.events == ("rescheduled",)
    cancelled = next_step(record, "cancel", booking(), NOW)
    assert cancelled.refund and cancelled.record is not None and cancelled.record.refunded_at == NOW
    assert next_step(cancelled.record, "cancel", booking(), NOW).record is None
    assert next_step(cancelled.record, "change", booking(5), NOW).record is None
    assert next_step(cancelled.record, "complete", booking(), NOW).record is None


def test_a_late_create_after_a_cancel_charges_nothing() -> None:
    record = first_record("s1", "cancel", booking(), None, NOW).record
    assert record is not None
    step = next_step(record, "book", booking(), NOW)
    assert step.record is None and not step.refund


def test_completion_only_of_booked_sessions_that_ended() -> None:
    record = first_record("s1", "book", booking(), Match("u1", "a1", "p1"), NOW).record
    assert record is not None
    assert completion_step(record, NOW).record is None  # not ended yet
    later = START + timedelta(hours=2)
    done = completion_step(record, later).record
    assert done is not None and done.completed_at == record.end_date_time
    assert completion_step(done, later).record is None
    rejected = first_record("s1", "book", booking(), Match("u1"), NOW).record
    assert rejected is not None and completion_step(rejected, later).record is None


def test_times_without_an_offset_are_utc() -> None:
    body = ZapierBooking.model_validate(
        {
            "action": "NEW_BOOKING",
            "booking_code": "x1",
            "start_date_time": "2031-01-01 10:00:00",
            "end_date_time": "2031-01-01T11:00:00+01:00",
        }
    )
    assert body.start_date_time == datetime(2031, 1, 1, 10, 0, tzinfo=UTC)
    assert body.end_date_time == datetime(2031, 1, 1, 10, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        ZapierBooking.model_validate(
            {"action": "NEW_BOOKING", "booking_code": "a/b", "start_date_time": START, "end_date_time": START}
        )


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_a_booking_time_outside_what_utc_can_hold_is_invalid(at: str) -> None:
    """An OverflowError out of validation was a 500 for a caller holding the Zapier token (review of issue 18)."""
    with pytest.raises(ValidationError):
        ZapierBooking.model_validate(
            {"action": "NEW_BOOKING", "booking_code": "x1", "start_date_time": at, "end_date_time": START}
        )


def refusal(body: dict[str, object], token: str | None) -> str | None:
    """The 401 message for the callback with this body (validated first, as the receiver does), or None."""
    check = CallbackCheck()
    try:
        check.verify(json.dumps(body).encode(), {}, {} if token is None else {"token": token})
        check.verify_body(SimplybookNotification.model_validate(body))
    except Unauthorized as exc:
        return str(exc.message)
    return None


def test_the_callback_checks_token_company_and_timestamp(settings_env: SettingsEnv) -> None:
    settings_env.set("SIMPLYBOOK_WEBHOOK_TOKEN", "secret-token")
    settings_env.set("SIMPLYBOOK_COMPANY", "chayn")
    good = {
        "booking_id": 1,
        "booking_hash": "ab12",
        "company": "chayn",
        "notification_type": "create",
        "webhook_timestamp": int(time.time()),
    }
    assert refusal(good, "secret-token") is None
    assert refusal(good, None) == "Unauthorized: invalid webhook token"
    assert refusal(good, "secret-tokeN") == "Unauthorized: invalid webhook token"
    assert refusal({**good, "company": "other"}, "secret-token") == "Unauthorized: unknown company"
    for stale in (int(time.time()) - 301, int(time.time()) + 301, 0, TIMESTAMP_MAX):
        message = refusal({**good, "webhook_timestamp": stale}, "secret-token")
        assert message == "Unauthorized: webhook timestamp outside the accepted window"
    settings_env.unset("SIMPLYBOOK_WEBHOOK_TOKEN")
    assert refusal(good, "secret-token") == "Unauthorized: invalid webhook token"


def test_the_callback_requires_a_timestamp_a_datetime_can_hold() -> None:
    good = {"booking_id": 1, "booking_hash": "ab12", "company": "chayn", "notification_type": "create"}
    for timestamp in (
        {},
        {"webhook_timestamp": None},
        {"webhook_timestamp": TIMESTAMP_MAX + 1},
        {"webhook_timestamp": 10**400},
    ):
        with pytest.raises(ValidationError):
            SimplybookNotification.model_validate({**good, **timestamp})
    SimplybookNotification.model_validate({**good, "webhook_timestamp": TIMESTAMP_MAX})


def test_slack_therapy_notices_carry_no_client_data() -> None:
    facts = {
        "session_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "booking_code": "abcd1234",
        "user_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "partner_id": "p1",
        "partner_access_id": "a1",
        "service_provider_name": "Dr <b>Example</b>",
        "start_date_time": START.isoformat(),
    }
    booked_text = therapy_booked_message(TherapyBooked(outcome="rejected", **facts), "Bumble")
    assert "REJECTED" in booked_text and "Bumble" in booked_text and "Dr &lt;b&gt;Example&lt;/b&gt;" in booked_text
    assert facts["user_id"] not in booked_text and "…f90ae7" in booked_text
    cancelled = therapy_cancelled_message(TherapyCancelled(refunded=True, cancel_in_simplybook=True, **facts), None)
    assert "refunded" in cancelled and "Cancel it in Simplybook" in cancelled and "no partner" in cancelled
