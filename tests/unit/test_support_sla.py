"""The support SLA rules (pure): due times by priority, breaches recorded once, met late or not met."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bloom.messaging.schemas import Moderation
from bloom.support.models import TicketRecord, due_times, roles_of
from bloom.support.schemas import Priority
from bloom.users.schemas import UserRecord

CREATED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
H, D = timedelta(hours=1), timedelta(days=1)


@pytest.mark.parametrize(
    ("priority", "first_response", "resolution"),
    [("urgent", 1 * H, 1 * D), ("high", 4 * H, 3 * D), ("normal", 1 * D, 7 * D), ("low", 2 * D, 14 * D)],
)
def test_due_times_by_priority(priority: Priority, first_response: timedelta, resolution: timedelta) -> None:
    assert due_times(priority, CREATED) == (CREATED + first_response, CREATED + resolution)


def ticket(priority: Priority = "high") -> TicketRecord:
    first_due, resolution_due = due_times(priority, CREATED)
    record = TicketRecord(
        id="t1",
        number=1,
        requester_id="u1",
        requester_uid="uid1",
        subject="Locked out",
        body="I cannot sign in",
        moderation=Moderation(state="clean", reasons=[]),
        category="account",
        priority=priority,
        status="open",
        first_response_due_at=first_due,
        resolution_due_at=resolution_due,
        created_at=CREATED,
        updated_at=CREATED,
    )
    return record.model_copy(update={"next_check_at": record.next_check()})


def test_nothing_is_missed_before_the_due_time_and_the_job_looks_then() -> None:
    record = ticket()
    assert record.next_check_at == CREATED + 4 * H
    assert record.new_breaches(CREATED + 4 * H - timedelta(seconds=1)) == []


def test_an_unanswered_ticket_breaches_once() -> None:
    late = CREATED + 5 * H
    missed = ticket().new_breaches(late)
    assert missed == [("first_response", CREATED + 4 * H)]
    breached = ticket().with_breaches(missed, late)
    assert breached.breached and breached.first_response_breached_at == late
    assert breached.new_breaches(late + H) == []  # recorded: never again
    assert breached.next_check_at == CREATED + 3 * D  # now only the resolution is watched


def test_a_late_first_response_is_a_breach_and_an_early_one_is_not() -> None:
    assert ticket().responded(CREATED + H).new_breaches(CREATED + 5 * H) == []
    late = ticket().responded(CREATED + 5 * H)
    assert late.new_breaches(CREATED + 5 * H) == [("first_response", CREATED + 4 * H)]


def test_resolving_stops_the_resolution_clock_and_reopening_restarts_it() -> None:
    resolved = ticket().responded(CREATED + H).moved_to("resolved", CREATED + D)
    assert resolved.resolved_at == CREATED + D and resolved.next_check_at is None
    assert resolved.new_breaches(CREATED + 10 * D) == []
    reopened = resolved.moved_to("open", CREATED + 2 * D)
    assert reopened.resolved_at is None and reopened.next_check_at == CREATED + 3 * D
    assert reopened.new_breaches(CREATED + 4 * D) == [("resolution", CREATED + 3 * D)]


def test_a_new_priority_moves_the_due_times_from_creation() -> None:
    urgent = ticket("low").reprioritised("urgent")
    assert (urgent.first_response_due_at, urgent.resolution_due_at) == (CREATED + H, CREATED + D)
    assert urgent.next_check_at == CREATED + H


def test_roles_shown_by_the_lookup() -> None:
    user = UserRecord(id="u1", email="a@example.com")
    assert roles_of(user, has_assignments_as_patient=False) == ["user"]
    assert roles_of(user, has_assignments_as_patient=True) == ["patient"]
    admin = user.model_copy(update={"practice_admin": True, "therapist_profile_id": "t1"})
    assert roles_of(admin, has_assignments_as_patient=False) == ["practice_admin", "therapist"]
