"""The safety team's alert cap: at most one alert per thread per window; the held-back count announced once, by
the follow-up when the window closes or by the next alert if it comes first; idempotent under redelivery and
however often the follow-up job runs; and the alerts' text (ids and a count, never the message)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bloom.messaging.models import (
    SAFETY_ALERT_WINDOW,
    SAFETY_FOLLOW_UP_LEASE,
    SafetyAlertWindow,
    SafetyFollowUp,
    claim_safety_follow_up,
    next_safety_window,
    safety_follow_up_sent,
)
from bloom.notifications.service import safety_flag_message, safety_follow_up_message

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)


def held_back(ids: list[str]) -> SafetyAlertWindow:
    """A window whose alert went out, holding `ids` back."""
    due = T0 + SAFETY_ALERT_WINDOW if ids else None
    return SafetyAlertWindow(
        opened_at=T0, alert_message_id="m1", alert_sent=True, held_back_ids=ids, follow_up_due_at=due
    )


def test_the_first_flag_is_announced_and_a_burst_within_the_window_is_counted() -> None:
    window, announce = next_safety_window(None, "m1", T0)
    assert announce and window == SafetyAlertWindow(opened_at=T0, alert_message_id="m1")
    sent = window.model_copy(update={"alert_sent": True})
    for index in range(2, 120):
        sent, announce = next_safety_window(sent, f"m{index}", T0 + timedelta(seconds=index))
        assert not announce
    assert len(sent.held_back_ids) == 118 and sent.alert_message_id == "m1"
    assert sent.follow_up_due_at == T0 + SAFETY_ALERT_WINDOW  # the held-back count is due when the window closes


def test_the_next_flag_after_the_window_is_announced_with_the_held_back_count() -> None:
    window = held_back(["m2", "m3"])
    late = T0 + SAFETY_ALERT_WINDOW
    after, announce = next_safety_window(window, "m4", late)
    assert announce and after == SafetyAlertWindow(opened_at=late, alert_message_id="m4", carried=2)
    just_in, announce = next_safety_window(window, "m5", late - timedelta(microseconds=1))
    assert not announce and just_in.held_back_ids == ["m2", "m3", "m5"]
    assert just_in.follow_up_due_at == late


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


CLOSED = T0 + SAFETY_ALERT_WINDOW


def test_a_follow_up_with_the_held_back_count_is_claimed_once_the_window_closes() -> None:
    window = held_back(["m2", "m3", "m4"])
    assert claim_safety_follow_up(window, CLOSED - timedelta(microseconds=1)) == (window, None)  # still open
    claimed, follow_up = claim_safety_follow_up(window, CLOSED)
    assert follow_up == SafetyFollowUp(alert_message_id="m1", held_back=3, reported_through=3)
    assert claimed.follow_up_due_at == CLOSED + SAFETY_FOLLOW_UP_LEASE and claimed.reported_held_back == 0
    # a concurrent run within the lease finds nothing to send; one after it sends the same follow-up again
    assert claim_safety_follow_up(claimed, CLOSED + timedelta(minutes=1)) == (claimed, None)
    assert claim_safety_follow_up(claimed, CLOSED + SAFETY_FOLLOW_UP_LEASE)[1] == follow_up


def test_a_sent_follow_up_is_never_sent_again_and_the_next_alert_carries_nothing_more() -> None:
    claimed, follow_up = claim_safety_follow_up(held_back(["m2", "m3"]), CLOSED)
    assert follow_up is not None
    reported = safety_follow_up_sent(claimed, follow_up)
    assert (reported.reported_held_back, reported.follow_up_due_at, reported.unreported()) == (2, None, 0)
    assert safety_follow_up_sent(reported, follow_up) == reported
    for later in (CLOSED, CLOSED + timedelta(days=1)):
        assert claim_safety_follow_up(reported, later) == (reported, None)
    after, announce = next_safety_window(reported, "m9", CLOSED + timedelta(minutes=1))
    assert announce and after.carried == 0


def test_a_flag_held_back_while_its_follow_up_was_on_the_way_gets_one_of_its_own() -> None:
    claimed, follow_up = claim_safety_follow_up(held_back(["m2"]), CLOSED)
    assert follow_up is not None
    late, announce = next_safety_window(claimed, "m3", CLOSED - timedelta(seconds=1))  # delivered late
    assert not announce and late.follow_up_due_at == claimed.follow_up_due_at  # the claim keeps its lease
    reported = safety_follow_up_sent(late, follow_up)
    assert (reported.reported_held_back, reported.follow_up_due_at) == (1, CLOSED)
    again, second = claim_safety_follow_up(reported, CLOSED + timedelta(minutes=5))
    assert second == SafetyFollowUp(alert_message_id="m1", held_back=1, reported_through=2)
    assert safety_follow_up_sent(again, second).unreported() == 0


def test_a_follow_up_leaves_a_newer_window_alone() -> None:
    claimed, follow_up = claim_safety_follow_up(held_back(["m2"]), CLOSED)
    assert follow_up is not None
    newer, announce = next_safety_window(claimed, "m5", CLOSED + timedelta(seconds=30))
    assert announce and newer.alert_message_id == "m5"
    assert safety_follow_up_sent(newer, follow_up) == newer


def test_a_window_due_with_nothing_unreported_is_cleared_without_a_follow_up() -> None:
    window = held_back(["m2"]).model_copy(update={"reported_held_back": 1})
    assert claim_safety_follow_up(window, CLOSED) == (window.model_copy(update={"follow_up_due_at": None}), None)


def test_the_follow_up_names_ids_and_the_count_only() -> None:
    assert safety_follow_up_message("care-a1", "m1", 4) == (
        "Safety: 4 more flagged messages in thread care-a1 since the alert about message m1. Review the thread in "
        "the practice audit."
    )
    assert "1 more flagged message in" in safety_follow_up_message("t", "m", 1)
