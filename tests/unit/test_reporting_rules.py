"""Reporting's pure rules: periods in Europe/London across the clock changes, counting, anomalies, the message."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from bloom.content.events import ProgressChanged
from bloom.feedback.events import EventLogRecorded
from bloom.reporting.counting import RULES, tally_of
from bloom.reporting.digest import anomalies, breakdown_replies, headline
from bloom.reporting.models import (
    SHARDS,
    counter_doc_ids,
    day_start,
    is_period_start,
    last_whole_period,
    local_day,
    period_end,
    previous_start,
)
from bloom.reporting.schemas import METRICS, Period
from bloom.therapy.events import TherapyBooked, TherapyCancelled, TherapyCompleted
from bloom.users.events import UserCreated

LONDON = "Europe/London"


@pytest.mark.parametrize(
    ("period", "today", "start", "end"),
    [
        ("daily", date(2026, 3, 30), date(2026, 3, 29), date(2026, 3, 30)),  # the 23-hour day (clocks go forward)
        ("daily", date(2026, 10, 26), date(2026, 10, 25), date(2026, 10, 26)),  # the 25-hour day
        ("weekly", date(2026, 3, 30), date(2026, 3, 23), date(2026, 3, 30)),
        ("monthly", date(2026, 4, 1), date(2026, 3, 1), date(2026, 4, 1)),
        ("monthly", date(2026, 1, 1), date(2025, 12, 1), date(2026, 1, 1)),
        ("quarterly", date(2026, 4, 1), date(2026, 1, 1), date(2026, 4, 1)),
        ("quarterly", date(2026, 1, 1), date(2025, 10, 1), date(2026, 1, 1)),
        ("yearly", date(2026, 1, 1), date(2025, 1, 1), date(2026, 1, 1)),
    ],
)
def test_each_digest_covers_the_previous_whole_period(period: Period, today: date, start: date, end: date) -> None:
    assert last_whole_period(period, today) == start
    assert period_end(period, start) == end
    assert is_period_start(period, start)


def test_period_starts() -> None:
    assert not is_period_start("weekly", date(2026, 3, 24))  # a Tuesday
    assert not is_period_start("quarterly", date(2026, 2, 1))
    assert not is_period_start("yearly", date(2026, 4, 1))
    assert previous_start("daily", date(2026, 3, 1), 7) == date(2026, 2, 22)
    assert previous_start("quarterly", date(2026, 1, 1), 4) == date(2025, 1, 1)


def test_day_boundaries_follow_the_clock_changes() -> None:
    spring = day_start(date(2026, 3, 29), LONDON), day_start(date(2026, 3, 30), LONDON)
    autumn = day_start(date(2026, 10, 25), LONDON), day_start(date(2026, 10, 26), LONDON)
    assert (spring[1].astimezone(UTC) - spring[0].astimezone(UTC)).total_seconds() == 23 * 3600
    assert (autumn[1].astimezone(UTC) - autumn[0].astimezone(UTC)).total_seconds() == 25 * 3600
    assert spring[0].astimezone(UTC) == datetime(2026, 3, 29, 0, 0, tzinfo=UTC)  # GMT before the change
    assert spring[1].astimezone(UTC) == datetime(2026, 3, 29, 23, 0, tzinfo=UTC)  # BST after it
    # 23:30 UTC in summer is already the next day in London; in winter it is not
    assert local_day(datetime(2026, 7, 1, 23, 30, tzinfo=UTC), LONDON) == date(2026, 7, 2)
    assert local_day(datetime(2026, 1, 1, 23, 30, tzinfo=UTC), LONDON) == date(2026, 1, 1)


def test_a_digest_reads_a_bounded_number_of_counter_documents() -> None:
    assert len(counter_doc_ids("daily", date(2026, 3, 29))) == SHARDS
    assert len(counter_doc_ids("weekly", date(2026, 3, 23))) == 7 * SHARDS
    assert len(counter_doc_ids("quarterly", date(2026, 1, 1))) == 3 * SHARDS
    yearly = counter_doc_ids("yearly", date(2025, 1, 1))
    assert len(yearly) == 12 * SHARDS and yearly[0] == "month_2025-01_0"


def test_counting_rules() -> None:
    created = tally_of(
        "user.created",
        UserCreated(user_id="u", partner_ids=["p1"], sign_up_language=None, created_at="2026-03-01T10:00:00+00:00"),
    )
    assert created is not None
    assert created.counts == {"newUsers": 1, "newPartnerUsers": 1}
    assert created.breakdowns == {"newUsersByPartner": {"p1": 1}, "newUsersByLanguage": {"unknown": 1}}

    def progress(kind: str, transition: str) -> ProgressChanged:
        return ProgressChanged.model_validate(
            {
                "user_id": "u",
                "kind": kind,
                "transition": transition,
                "item_id": "i",
                "course_id": "c",
                "resource_category": "short_video" if kind == "resource" else None,
                "occurred_at": "2026-03-01T10:00:00Z",
            }
        )

    session = tally_of("progress.changed", progress("session", "completed"))
    assert session is not None and session.counts == {"sessionsCompleted": 1}
    assert session.breakdowns == {"sessionsCompletedBySession": {"i": 1}}
    resource = tally_of("progress.changed", progress("resource", "started"))
    assert resource is not None and resource.breakdowns == {"resourcesStartedByCategory": {"short_video": 1}}
    assert tally_of("progress.changed", progress("course", "uncompleted")) is None
    chat = EventLogRecorded(user_id="u", event="CHAT_MESSAGE_RECEIVED", occurred_at="2026-03-01T10:00:00Z")
    login = EventLogRecorded(user_id="u", event="LOGGED_IN", occurred_at="2026-03-01T10:00:00Z")
    assert tally_of("event_log.recorded", chat) is not None and tally_of("event_log.recorded", login) is None
    assert "whatsapp.subscribed" not in RULES  # WhatsApp metrics read 0 until their topics exist


def test_therapy_counting_rules() -> None:
    facts: dict[str, Any] = {
        "session_id": "s",
        "booking_code": "b",
        "user_id": "u",
        "partner_id": "p1",
        "partner_access_id": "a",
        "service_provider_name": "Dr Example",
        "start_date_time": "2026-03-02T10:00:00Z",
    }
    booked = tally_of("therapy.booked", TherapyBooked(**facts, outcome="booked"))
    assert booked is not None and booked.counts == {"therapyBookingsBooked": 1}
    assert booked.breakdowns == {"therapyByTherapist": {"Dr Example": 1}, "therapyByPartner": {"p1": 1}}
    assert tally_of("therapy.booked", TherapyBooked(**facts, outcome="rejected")) is None
    cancelled = tally_of("therapy.cancelled", TherapyCancelled(**facts, refunded=True))
    assert cancelled is not None and cancelled.counts == {"therapyBookingsCancelled": 1}
    completed = tally_of("therapy.completed", TherapyCompleted(**facts, completed_at="2026-03-02T11:00:00Z"))
    assert completed is not None and completed.counts == {"therapySessionsCompleted": 1}
    assert completed.when == "2026-03-02T11:00:00Z"


def metrics(**values: int | None) -> dict[str, int | None]:
    return {metric: values.get(metric, 10) for metric in METRICS}


def test_anomalies_flag_large_z_scores_strongest_first_at_most_three() -> None:
    baseline = [metrics(newUsers=n, activeUsers=100 + n, sessionsStarted=n, chatMessagesSent=n) for n in (8, 10, 12)]
    baseline += [
        metrics(newUsers=n, activeUsers=100 + n, sessionsStarted=n, chatMessagesSent=n) for n in (9, 11, 10, 10)
    ]
    now = metrics(newUsers=40, activeUsers=95, sessionsStarted=30, chatMessagesSent=20, deletedUsers=10)
    found = anomalies("daily", now, baseline)
    # |z|: newUsers 28, sessionsStarted 18.7, activeUsers -14 (a drop), chatMessagesSent 9.4: the 3 strongest
    assert [a.metric for a in found] == ["newUsers", "sessionsStarted", "activeUsers"]
    assert found[0].z_score > 2.5 and found[0].change_percent == 300.0
    assert found[2].z_score < 0


def test_anomaly_thresholds_and_small_baselines() -> None:
    baseline = [metrics(newUsers=n) for n in (0, 2, 0, 2)]  # mean 1, standard deviation 1
    found = anomalies("weekly", metrics(newUsers=3), baseline)  # z = 2: flagged weekly (2.0) ...
    assert [(a.metric, a.z_score) for a in found] == [("newUsers", 2.0)]
    assert found[0].change_percent is None  # baseline mean 1 < 5: no percentage
    assert anomalies("daily", metrics(newUsers=3), baseline) == []  # ... not daily (2.5)
    assert anomalies("weekly", metrics(newUsers=2), baseline) == []
    assert anomalies("weekly", metrics(newUsers=40), baseline[:2]) == []  # too few earlier runs


def test_headline_names_failed_metrics_and_replies_hold_breakdowns() -> None:
    values = metrics(activeUsers=None)
    text = headline("weekly", date(2026, 3, 23), date(2026, 3, 30), LONDON, values, [], ["activeUsers"])
    assert text.splitlines()[0] == "*Bloom weekly report* 2026-03-23 to 2026-03-29 (Europe/London)"
    assert "• Active users: n/a" in text and ":x: Could not compute: activeUsers" in text
    replies = breakdown_replies("weekly", {"feedbackByTag": {"helpful": 3, "boring": 1}})
    assert replies == ["*Feedback by tag*\n• helpful: 3\n• boring: 1"]
    assert breakdown_replies("daily", {"feedbackByTag": {"helpful": 3}}) == []
