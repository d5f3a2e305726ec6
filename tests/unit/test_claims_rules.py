"""The claims area's rules without I/O: NPI (Luhn with 80840), ICD-10-CM format, the CPT list, place of service,
the claim state machine, control numbers, and how Optum's answers are summarised (shapes from Optum's docs)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bloom.claims.models import (
    TRANSITIONS,
    ClaimFacts,
    IllegalTransition,
    claim_problems,
    codes_note,
    control_number,
    default_place_of_service,
    icd10_cm_valid,
    moved,
    npi_valid,
    read_claim_status,
    status_of_category,
    submission_outcome,
    summarise_eligibility,
)
from bloom.claims.schemas import ClaimStatus, HistoryEntry

AT = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("npi", "valid"),
    [
        ("1234567893", True),  # CMS's worked example
        ("1760854442", True),  # Optum's claim examples
        ("1245319599", True),
        ("1234567890", False),  # wrong check digit
        ("0123456789", False),  # Optum's eligibility placeholder
        ("123456789", False),
        ("12345678931", False),
        ("123456789X", False),
        ("", False),
    ],
)
def test_npi_check_digit(npi: str, valid: bool) -> None:
    assert npi_valid(npi) is valid


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("F43.10", True),
        ("F41.1", True),
        ("F32.A", True),
        ("Z63.0", True),
        ("F40", True),
        ("S06.0X1A", True),
        ("F4310", False),  # without its dot
        ("f43.10", False),
        ("F43.", False),
        ("F43.12345", False),
        ("4F3.1", False),
        ("F4", False),
    ],
)
def test_icd10_cm_format(code: str, valid: bool) -> None:
    assert icd10_cm_valid(code) is valid


VALID = ClaimFacts(
    diagnosis_codes=["F43.10", "Z63.0"],
    procedure_code="90834",
    place_of_service="10",
    rendering_npi="1234567893",
    billing_provider_complete=True,
    billing_npi="1760854442",
    appointment_completed=True,
    currency="USD",
)


@pytest.mark.parametrize(
    ("changes", "problems"),
    [
        ({}, []),
        ({"appointment_completed": False}, ["appointmentId"]),
        ({"diagnosis_codes": ["F43.10", "bad"]}, ["diagnosisCodes"]),
        ({"diagnosis_codes": []}, ["diagnosisCodes"]),
        ({"procedure_code": "99213"}, ["procedureCode"]),
        ({"place_of_service": "12"}, ["placeOfService"]),
        ({"rendering_npi": "1234567890"}, ["renderingNpi"]),
        ({"billing_npi": "0123456789"}, ["billingProvider"]),
        ({"billing_provider_complete": False}, ["billingProvider"]),
        ({"currency": "GBP"}, ["currency"]),
        (
            {"procedure_code": "x", "rendering_npi": "1", "appointment_completed": False},
            ["appointmentId", "procedureCode", "renderingNpi"],
        ),
    ],
)
def test_claim_problems_name_every_field(changes: dict[str, Any], problems: list[str]) -> None:
    assert claim_problems(replace(VALID, **changes)) == problems


@pytest.mark.parametrize("code", ["90791", "90832", "90834", "90837", "90846", "90847"])
def test_every_listed_procedure_code_is_valid(code: str) -> None:
    assert claim_problems(replace(VALID, procedure_code=code)) == []


def test_place_of_service_by_default() -> None:
    assert (default_place_of_service(True), default_place_of_service(False)) == ("10", "11")


ALL: tuple[ClaimStatus, ...] = ("draft", "submitted", "accepted", "rejected", "paid", "denied")
ALLOWED = {
    ("draft", "submitted"),
    ("draft", "rejected"),
    ("submitted", "accepted"),
    ("submitted", "rejected"),
    ("submitted", "paid"),
    ("submitted", "denied"),
    ("accepted", "paid"),
    ("accepted", "denied"),
    ("accepted", "rejected"),
}


@pytest.mark.parametrize("current", ALL)
@pytest.mark.parametrize("target", ALL)
def test_state_machine_table(current: ClaimStatus, target: ClaimStatus) -> None:
    history = [HistoryEntry(status=current, at=AT)]
    if current == target:
        assert moved(history, current, target, AT, "again") is None  # nothing recorded twice
    elif (current, target) in ALLOWED:
        after = moved(history, current, target, AT, "note")
        assert after == [*history, HistoryEntry(status=target, at=AT, note="note")]
    else:
        with pytest.raises(IllegalTransition):
            moved(history, current, target, AT, None)


def test_terminal_states() -> None:
    assert {status for status, targets in TRANSITIONS.items() if not targets} == {"rejected", "paid", "denied"}


def test_control_numbers_are_nine_digits_and_stable() -> None:
    numbers = {control_number(f"claim-{n}") for n in range(200)}
    assert all(len(number) == 9 and number.isdigit() for number in numbers)
    assert len(numbers) == 200
    assert control_number("claim-a") == control_number("claim-a")


@pytest.mark.parametrize(
    ("category", "status"),
    [
        *[("A1", "accepted"), ("A2", "accepted"), ("P1", "accepted"), ("A3", "rejected"), ("A7", "rejected")],
        *[("F1", "paid"), ("F2", "denied"), ("F4", "denied"), ("A0", None), ("A4", None), ("E0", None), ("R1", None)],
    ],
)
def test_claim_status_categories(category: str, status: ClaimStatus | None) -> None:
    assert status_of_category(category) == status


ELIGIBLE: dict[str, Any] = {
    "controlNumber": "123456789",
    "subscriber": {"memberId": "0000000000", "firstName": "johnOne", "lastName": "doeOne", "dateOfBirth": "18800102"},
    "planInformation": {"planDescription": "GOLD PPO", "groupNumber": "G1"},
    "planStatus": [{"statusCode": "1", "status": "Active Coverage", "planDetails": "GOLD PPO"}],
    "benefitsInformation": [
        {"code": "1", "name": "Active Coverage", "serviceTypeCodes": ["30"], "planCoverage": "GOLD PPO"},
        {"code": "B", "name": "Co-Payment", "benefitAmount": "40", "inPlanNetworkIndicatorCode": "N"},
        {"code": "B", "name": "Co-Payment", "benefitAmount": "12", "inPlanNetworkIndicatorCode": "W"},
        {"code": "A", "name": "Co-Insurance", "benefitPercent": "0.2", "inPlanNetworkIndicatorCode": "Y"},
        {"code": "C", "name": "Deductible", "timeQualifierCode": "23", "benefitAmount": "3000"},
        {"code": "C", "name": "Deductible", "timeQualifierCode": "29", "benefitAmount": "1484"},
    ],
}


def test_an_active_plan_is_summarised() -> None:
    summary = summarise_eligibility(ELIGIBLE)
    assert (summary.status, summary.plan, summary.copay) == ("active", "GOLD PPO", 12.0)
    assert (summary.coinsurance_percent, summary.deductible_remaining, summary.error_codes) == (20.0, 1484.0, [])


def test_inactive_coverage() -> None:
    answer = {"benefitsInformation": [{"code": "6", "name": "Inactive"}], "planInformation": {}}
    summary = summarise_eligibility(answer)
    assert (summary.status, summary.plan, summary.copay) == ("inactive", None, None)


def test_a_payer_rejection_is_an_error_with_codes_only() -> None:
    answer = {
        "subscriber": {"memberId": "0000000000", "aaaErrors": [{"code": "72", "description": "Invalid Member ID"}]},
        "errors": [{"field": "subscriber.memberId", "code": "72", "description": "Invalid/Missing Subscriber ID"}],
    }
    summary = summarise_eligibility(answer)
    assert (summary.status, summary.error_codes, summary.plan) == ("error", ["72"], None)


def test_an_answer_without_coverage_is_an_error() -> None:
    assert summarise_eligibility({"controlNumber": "1"}).status == "error"


def test_submission_outcomes() -> None:
    success = {"status": "SUCCESS", "controlNumber": "000000001", "claimReference": {"rhclaimNumber": "1"}}
    assert submission_outcome(success) == ("submitted", "accepted by the clearinghouse")
    edits = {
        "status": "EDITS",
        "errors": [{"field": "claimInformation.serviceLines[0].serviceDate", "value": "Doe", "code": "33"}],
    }
    status, note = submission_outcome(edits)
    assert (status, note) == ("rejected", "rejected by the clearinghouse (EDITS): 33")
    assert "Doe" not in note


def test_claim_status_answers() -> None:
    paid = {
        "claims": [{"claimStatus": {"statusCategoryCode": "F1", "statusCode": "65", "tradingPartnerClaimNumber": "P9"}}]
    }
    report = read_claim_status(paid)
    assert (report.status, report.payer_claim_id, report.note) == ("paid", "P9", "claim status: F1, 65")
    failed = {"errorResponse": {"code": "400", "errors": [{"code": "33", "value": "johnone"}]}}
    report = read_claim_status(failed)
    assert (report.status, report.note) == (None, "claim status error: 33, 400")
    assert read_claim_status({"claims": []}).status is None


def test_notes_keep_codes_only() -> None:
    assert codes_note("x", ["A 1<script>", ""]) == "x: A1script"
