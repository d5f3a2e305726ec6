"""The practice's rules: the assignment state machine, discovery facets and cursors, message ids and cursors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bloom.messaging import models as messaging
from bloom.practice.models import (
    AssignmentRecord,
    decode_cursor,
    encode_cursor,
    facet_filters,
    next_status,
    practice_roles,
    transition_fields,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "transition", "after"),
    [
        ("requested", "accept", "active"),
        ("requested", "decline", "declined"),
        ("active", "end", "ended"),
        ("requested", "end", None),
        ("active", "accept", None),
        ("declined", "accept", None),
        ("ended", "end", None),
        ("ended", "accept", None),
    ],
)
def test_the_assignment_state_machine(status: str, transition: str, after: str | None) -> None:
    assert next_status(status, transition) == after  # type: ignore[arg-type]


def test_transitions_stamp_their_times_and_actor() -> None:
    record = AssignmentRecord(
        id="a", therapist_id="t", therapist_user_id="tu", therapist_uid="tx", patient_id="p", patient_uid="px",
        status="requested", requested_at=NOW,
    )  # fmt: skip
    assert transition_fields(record, "accept", "tu", NOW) == {"status": "active", "started_at": NOW}
    active = record.model_copy(update={"status": "active"})
    assert transition_fields(active, "end", "p", NOW) == {"status": "ended", "ended_at": NOW, "ended_by": "p"}
    with pytest.raises(ValueError, match="not allowed"):
        transition_fields(active, "accept", "tu", NOW)


def test_discovery_filters_are_equalities_on_facets() -> None:
    filters = facet_filters("en", "trauma", "US-CA", True)
    assert [field for field, _ in filters][-1] == "acceptingPatients"
    assert all(field.startswith("facets.") for field, _ in filters[:3])
    assert facet_filters(None, None, None, None) == []


def test_cursors_round_trip_and_garbage_is_refused() -> None:
    assert decode_cursor(encode_cursor("abc-123")) == "abc-123"
    assert decode_cursor("%%%") is None
    at = datetime(2026, 5, 1, 12, tzinfo=UTC)
    assert messaging.decode_cursor(messaging.encode_cursor(at, "t1")) == (at, "t1")
    assert messaging.decode_cursor(encode_cursor("no-separator")) is None


def test_message_ids_name_one_document_per_client_message() -> None:
    first = messaging.message_id("thread", "uid", "client-1")
    assert first == messaging.message_id("thread", "uid", "client-1")
    assert first != messaging.message_id("thread", "other-uid", "client-1")
    assert first != messaging.message_id("other-thread", "uid", "client-1")


def test_the_edit_window_is_fifteen_minutes() -> None:
    from datetime import timedelta

    assert messaging.within_edit_window(NOW, NOW + timedelta(minutes=15))
    assert not messaging.within_edit_window(NOW, NOW + timedelta(minutes=15, seconds=1))


def test_emoji_reactions_only() -> None:
    assert messaging.is_emoji("❤️") and messaging.is_emoji("👍🏽") and messaging.is_emoji("👩‍👩‍👧")
    assert not messaging.is_emoji("like") and not messaging.is_emoji("") and not messaging.is_emoji("❤ x")


def test_practice_roles() -> None:
    assert practice_roles(therapist=False, practice_admin=False, has_patient_side=False) == ["patient"]
    assert practice_roles(therapist=True, practice_admin=False, has_patient_side=False) == ["therapist"]
    assert practice_roles(therapist=True, practice_admin=True, has_patient_side=True) == [
        "patient",
        "therapist",
        "practice_admin",
    ]
