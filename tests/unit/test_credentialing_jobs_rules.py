"""The credentialing job's pure rules: which expiry notice (60, 30 or 7 days) is due on a day, when a follow-up is
due, and notification ids that make each notice once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bloom.credentialing.models import ApplicationRecord, expiry_notice_days, follow_up_due
from bloom.credentialing.reminders import approval_expiring_id, credential_expiring_id, follow_up_id
from bloom.credentialing.schemas import ApplicationStatus

TODAY = date(2030, 3, 10)


@pytest.mark.parametrize(
    ("days_left", "notice"),
    [
        (61, None),
        (60, 60),
        (31, 60),
        (30, 30),
        (8, 30),
        (7, 7),
        (1, 7),
        (0, 7),
        (-1, None),
    ],
)
def test_the_tightest_threshold_reached_is_due(days_left: int, notice: int | None) -> None:
    assert expiry_notice_days(TODAY + timedelta(days=days_left), TODAY) == notice


def test_nothing_is_due_without_an_expiry() -> None:
    assert expiry_notice_days(None, TODAY) is None


def application(status: ApplicationStatus, follow_up_on: date | None) -> ApplicationRecord:
    at = datetime(2030, 1, 1, tzinfo=UTC)
    return ApplicationRecord(
        id="app",
        owner_id="user-dr",
        owner_uid="dr",
        therapist_id="t",
        payer="aetna",
        state="US-CA",
        status=status,
        requirements=[],
        follow_up_on=follow_up_on,
        history=[],
        created_at=at,
        updated_at=at,
    )


@pytest.mark.parametrize(
    ("status", "offset", "due"),
    [
        ("submitted", 0, True),
        ("in_review", 0, True),
        ("draft", 0, True),
        ("submitted", 1, False),  # tomorrow
        ("submitted", -7, True),  # a missed run is caught up for a week
        ("submitted", -8, False),
        ("approved", 0, False),
        ("denied", 0, False),
    ],
)
def test_follow_up_due(status: ApplicationStatus, offset: int, due: bool) -> None:
    assert follow_up_due(application(status, TODAY + timedelta(days=offset)), TODAY) is due
    assert follow_up_due(application(status, None), TODAY) is False


def test_notification_ids_name_the_threshold_and_the_day_they_concern() -> None:
    assert credential_expiring_id("doc", 30, date(2030, 4, 1)) == "credential-expiring-30d-doc-2030-04-01"
    assert approval_expiring_id("app", 7, date(2030, 4, 1)) == "approval-expiring-7d-app-2030-04-01"
    assert follow_up_id("app", date(2030, 4, 1)) == "credentialing-follow-up-app-2030-04-01"
