"""The records' rules without I/O: who reads and writes what, note bodies per format, retention dates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from google.api_core.datetime_helpers import DatetimeWithNanoseconds

from bloom.records.models import Relation, access_role, may_read, may_write, note_body, retention_ends
from bloom.records.schemas import RecordKind

KINDS: tuple[RecordKind, ...] = ("intake", "diagnosis", "treatment_plan", "session_note")


@pytest.mark.parametrize("kind", KINDS)
def test_the_care_team_reads_everything_and_outsiders_nothing(kind: RecordKind) -> None:
    for relation in ("therapist", "former_therapist", "practice_admin"):
        assert may_read(relation, kind, shared=False)
    assert not may_read("outsider", kind)


def test_the_patient_reads_notes_only_when_shared() -> None:
    assert may_read("patient", "session_note", shared=True)
    assert not may_read("patient", "session_note", shared=False)
    assert not may_read("patient", "access_log")


@pytest.mark.parametrize(
    ("kind", "writer"),
    [("intake", "patient"), ("diagnosis", "therapist"), ("treatment_plan", "therapist"), ("session_note", "therapist")],
)
def test_one_kind_of_caller_writes_each_record(kind: RecordKind, writer: Relation) -> None:
    relations: tuple[Relation, ...] = ("patient", "therapist", "former_therapist", "practice_admin", "outsider")
    assert [relation for relation in relations if may_write(relation, kind)] == [writer]


def test_the_access_log_names_roles() -> None:
    assert [access_role(r) for r in ("patient", "therapist", "former_therapist", "practice_admin")] == [
        "patient",
        "therapist",
        "therapist",
        "practice_admin",
    ]


def test_a_note_body_takes_its_formats_fields_only() -> None:
    assert note_body("dap", {"data": "d"}) == {"data": "d", "assessment": "", "plan": ""}
    assert note_body("free", {"text": "t"}) == {"text": "t"}
    assert note_body("soap", {"data": "d"}) is None
    assert note_body("free", {"text": "t", "plan": "p"}) is None


def test_retention_ends_years_after_the_last_record() -> None:
    assert retention_ends(datetime(2026, 3, 1, 9, tzinfo=UTC), 7) == datetime(2033, 3, 1, 9, tzinfo=UTC)
    assert retention_ends(datetime(2028, 2, 29, tzinfo=UTC), 7) == datetime(2035, 2, 28, tzinfo=UTC)


def test_retention_of_a_time_read_from_firestore_is_a_plain_datetime() -> None:
    """Firestore reads times as `DatetimeWithNanoseconds`; one `replace`d cannot be written back (it was a 500)."""
    read = DatetimeWithNanoseconds(2026, 3, 1, 9, tzinfo=UTC)  # type: ignore[no-untyped-call]
    ends = retention_ends(read, 7)
    assert type(ends) is datetime and ends == datetime(2033, 3, 1, 9, tzinfo=UTC)
