"""The safety team's alert cap: at most one alert per thread per window, the held-back count carried by the next
alert, idempotent under redelivery; and the alert's text (ids and a count, never the message)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bloom.messaging.models import SAFETY_ALERT_WINDOW, SafetyAlertWindow, next_safety_window
from bloom.notifications.service import safety_flag_message

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)


def test_the_first_flag_is_announced_and_a_burst_within_the_window_is_counted() -> None:
    window, announce = next_safety_window(None, "m1", T0)
    assert announce and window == SafetyAlertWindow(opened_at=T0, alert_message_id="m1")
    sent = window.model_copy(update={"alert_sent": True})
    for index in range(2, 120):
        sent, announce = next_safety_window(sent, f"m{index}", T0 + timedelta(seconds=index))
        assert not announce
    assert len(sent.held_back_ids) == 118 and sent.alert_message_id == "m1"


def test_the_next_flag_after_the_window_is_announced_with_the_held_back_count() -> None:
    window = SafetyAlertWindow(opened_at=T0, alert_message_id="m1", alert_sent=True, held_back_ids=["m2", "m3"])
    late = T0 + SAFETY_ALERT_WINDOW
    after, announce = next_safety_window(window, "m4", late)
    assert announce and after == SafetyAlertWindow(opened_at=late, alert_message_id="m4", carried=2)
    just_in, announce = next_safety_window(window, "m5", late - timedelta(microseconds=1))
    assert not announce and just_in.held_back_ids == ["m2", "m3", "m5"]


def test_a_redelivered_flag_changes_nothing_and_an_unsent_alert_is_sent_again() -> None:
    window = SafetyAlertWindow(opened_at=T0, alert_message_id="m1", held_back_ids=["m2"])
    assert next_safety_window(window, "m1", T0) == (window, True)  # Slack did not take it yet
    sent = window.model_copy(update={"alert_sent": True})
    assert next_safety_window(sent, "m1", T0) == (sent, False)
    assert next_safety_window(sent, "m2", T0 + timedelta(seconds=5)) == (sent, False)


def test_the_alert_names_ids_and_the_held_back_count_only() -> None:
    assert safety_flag_message("care-a1", "m9", ["crisis"]) == (
        "Safety: message m9 in thread care-a1 was flagged (crisis). Review the thread in the practice audit."
    )
    assert safety_flag_message("care-a1", "m9", ["crisis"], held_back=3) == (
        "Safety: message m9 in thread care-a1 was flagged (crisis). 3 more flagged messages in this thread since "
        "its last alert. Review the thread in the practice audit."
    )
    assert "1 more flagged message in" in safety_flag_message("t", "m", ["crisis"], held_back=1)
