"""Weekly retention cohorts: which offset an activity counts for, and which cohorts a day's export measures."""

from __future__ import annotations

from datetime import date

import pytest

from bloom.reporting.models import measured_cohorts, week_of, weeks_after_signup

SIGNUP_WEEK = date(2026, 3, 23)  # a Monday; 29 March 2026 is the clock change in London


def test_weeks_start_on_monday() -> None:
    assert week_of(date(2026, 3, 29)) == SIGNUP_WEEK == week_of(SIGNUP_WEEK)
    assert week_of(date(2026, 3, 30)) == date(2026, 3, 30)


@pytest.mark.parametrize(
    ("active_day", "weeks"),
    [
        (date(2026, 3, 29), None),  # the signup week itself
        (date(2026, 3, 30), 1),
        (date(2026, 4, 5), 1),
        (date(2026, 4, 6), None),  # week 2
        (date(2026, 4, 20), 4),
        (date(2026, 6, 15), 12),
        (date(2026, 6, 22), None),
        (date(2026, 3, 16), None),  # before the signup week (an event older than the signup)
    ],
)
def test_an_activity_counts_for_weeks_1_4_and_12_only(active_day: date, weeks: int | None) -> None:
    assert weeks_after_signup(SIGNUP_WEEK, active_day) == weeks


def test_a_day_measures_the_cohorts_whose_week_n_contains_it() -> None:
    assert measured_cohorts(date(2026, 4, 1)) == {1: SIGNUP_WEEK, 4: date(2026, 3, 2), 12: date(2026, 1, 5)}
