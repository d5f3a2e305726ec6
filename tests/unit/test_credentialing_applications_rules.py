"""Credentialing's pure rules for applications: the bundle (each requirement matched to an unexpired document of
its kind), what a refused submission names, and the admins' status transitions (a full table)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import product
from typing import get_args

import pytest
from pydantic import ValidationError

from bloom.credentialing.models import (
    ADMIN_TRANSITIONS,
    DocumentRecord,
    Requirement,
    admin_may_change,
    match_checklist,
    missing,
)
from bloom.credentialing.schemas import ApplicationStatus, DocumentKind, UpdateApplication

TODAY = date(2030, 3, 10)
CREATED = datetime(2030, 1, 1, tzinfo=UTC)


def document(doc_id: str, kind: DocumentKind, expires_on: date | None = None, *, day: int = 1) -> DocumentRecord:
    created = CREATED.replace(day=day)
    return DocumentRecord(
        id=doc_id,
        owner_id="user-dr",
        owner_uid="dr",
        upload_id=f"upload-{doc_id}",
        file_name=f"{doc_id}.pdf",
        kind=kind,
        number=None,
        issuer=None,
        state=None,
        expires_on=expires_on,
        created_at=created,
        updated_at=created,
    )


def requirement(req_id: str, kind: DocumentKind) -> Requirement:
    return Requirement(requirement_id=req_id, text=f"Provide your {kind}", kind=kind)


def test_each_requirement_is_matched_to_a_document_of_its_kind() -> None:
    checklist = match_checklist(
        [requirement("r1", "license"), requirement("r2", "npi"), requirement("r3", "dea")],
        [document("lic", "license", date(2031, 1, 1)), document("npi", "npi")],
        TODAY,
    )
    assert [(i.requirement_id, i.document_id, i.satisfied) for i in checklist] == [
        ("r1", "lic", True),
        ("r2", "npi", True),
        ("r3", None, False),
    ]


def test_an_expired_document_satisfies_nothing_and_one_expiring_today_still_does() -> None:
    expired = match_checklist([requirement("r1", "license")], [document("old", "license", date(2030, 3, 9))], TODAY)
    assert (expired[0].document_id, expired[0].satisfied) == (None, False)
    today = match_checklist([requirement("r1", "license")], [document("last", "license", TODAY)], TODAY)
    assert (today[0].document_id, today[0].satisfied) == ("last", True)


def test_a_document_of_another_kind_does_not_count() -> None:
    checklist = match_checklist([requirement("r1", "malpractice_insurance")], [document("cv", "cv")], TODAY)
    assert not checklist[0].satisfied


def test_the_document_valid_longest_is_chosen_then_the_newest() -> None:
    docs = [
        document("soon", "license", date(2030, 4, 1)),
        document("later", "license", date(2032, 1, 1)),
        document("expired", "license", date(2020, 1, 1), day=9),
    ]
    assert match_checklist([requirement("r", "license")], docs, TODAY)[0].document_id == "later"
    never = [*docs, document("forever", "license")]
    assert match_checklist([requirement("r", "license")], never, TODAY)[0].document_id == "forever"
    twins = [document("first", "cv", day=1), document("second", "cv", day=2)]
    assert match_checklist([requirement("r", "cv")], twins, TODAY)[0].document_id == "second"


def test_one_document_may_satisfy_several_requirements_of_its_kind() -> None:
    checklist = match_checklist(
        [requirement("a", "other"), requirement("b", "other")], [document("extra", "other")], TODAY
    )
    assert [i.document_id for i in checklist] == ["extra", "extra"]


def test_missing_names_each_unsatisfied_requirement() -> None:
    checklist = match_checklist(
        [requirement("r1", "license"), requirement("r2", "dea")], [document("lic", "license")], TODAY
    )
    assert missing(checklist) == ["missing dea: Provide your dea"]
    assert missing(match_checklist([requirement("r1", "license")], [document("l", "license")], TODAY)) == []


STATUSES: tuple[ApplicationStatus, ...] = get_args(ApplicationStatus)
# The whole table: (from, to) pairs an admin may make besides leaving the status as it is.
ALLOWED = {
    ("submitted", "in_review"),
    ("submitted", "approved"),
    ("submitted", "denied"),
    ("in_review", "approved"),
    ("in_review", "denied"),
    ("approved", "expired"),
}


@pytest.mark.parametrize(("current", "wanted"), list(product(STATUSES, STATUSES)))
def test_admin_transitions(current: ApplicationStatus, wanted: ApplicationStatus) -> None:
    expected = current == wanted or (current, wanted) in ALLOWED
    assert admin_may_change(current, wanted) is expected


def test_the_table_names_every_status() -> None:
    assert set(ADMIN_TRANSITIONS) == set(STATUSES)


def test_an_admin_update_must_change_something() -> None:
    with pytest.raises(ValidationError, match="at least one"):
        UpdateApplication.model_validate({})
    assert UpdateApplication.model_validate({"followUpOn": None}).model_fields_set == {"follow_up_on"}
