"""Access-code rules and partner rules that need no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bloom.partners.codes import (
    ALPHABET,
    CodeFacts,
    CodeProblem,
    code_problem,
    expires_at,
    generate_code,
    is_expired,
    is_well_formed,
    normalise_code,
)
from bloom.partners.models import (
    PartnerAccessRecord,
    PartnerRecord,
    deactivation_changes,
    name_key,
    reactivation_changes,
    therapy_sessions_problem,
)
from bloom.partners.schemas import CreatePartnerAccess

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def facts(**overrides: object) -> CodeFacts:
    values: dict[str, object] = {
        "active": True,
        "partner_active": True,
        "assigned_user_id": None,
        "redeemed": False,
        "created_at": NOW - timedelta(days=10),
    }
    values.update(overrides)
    return CodeFacts(**values)  # type: ignore[arg-type]


def test_generated_codes_are_six_characters_from_the_alphabet() -> None:
    codes = [generate_code() for _ in range(3000)]
    assert all(len(code) == 6 and is_well_formed(code) for code in codes)
    assert set("".join(codes)) == set(ALPHABET)  # every letter and digit is used, none other
    assert len(set(codes)) > 2990  # 36^6 possibilities: repeats are rare


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("abc123", "ABC123"), ("  AbC123 ", "ABC123"), ("ABC123", "ABC123"), ("\u0131bc123", "\u0131bc123")],
)
def test_codes_are_upper_cased_on_input_and_non_ascii_is_not_folded(raw: str, expected: str) -> None:
    assert normalise_code(raw) == expected


@pytest.mark.parametrize("code", ["", "ABC12", "ABC1234", "ABC 12", "ABC-12", "abc123", "ÀBC123", "\u0131BC123"])
def test_malformed_codes(code: str) -> None:
    assert not is_well_formed(code)
    assert code_problem(code, facts(), "u1", NOW) is CodeProblem.INVALID_CODE


def test_a_code_expires_one_calendar_year_after_creation() -> None:
    created = datetime(2023, 3, 5, 8, 30, tzinfo=UTC)
    assert expires_at(created) == datetime(2024, 3, 5, 8, 30, tzinfo=UTC)
    assert not is_expired(created, datetime(2024, 3, 5, 8, 30, tzinfo=UTC))
    assert is_expired(created, datetime(2024, 3, 5, 8, 30, 1, tzinfo=UTC))
    assert expires_at(datetime(2024, 2, 29, tzinfo=UTC)) == datetime(2025, 2, 28, tzinfo=UTC)


def test_a_good_code_has_no_problem() -> None:
    assert code_problem("ABC123", facts(), "u1", NOW) is None
    assert code_problem("ABC123", facts(), None, NOW) is None


def test_each_check_on_its_own() -> None:
    assert code_problem("ABC123", None, "u1", NOW) is CodeProblem.DOES_NOT_EXIST
    assert code_problem("ABC123", facts(active=False), "u1", NOW) is CodeProblem.INACTIVE
    assert code_problem("ABC123", facts(partner_active=False), "u1", NOW) is CodeProblem.INACTIVE
    mine = facts(assigned_user_id="u1", redeemed=True)
    assert code_problem("ABC123", mine, "u1", NOW) is CodeProblem.ALREADY_APPLIED
    assert code_problem("ABC123", mine, "u2", NOW) is CodeProblem.ALREADY_IN_USE
    assert code_problem("ABC123", mine, None, NOW) is CodeProblem.ALREADY_IN_USE  # nobody signed in
    released = facts(assigned_user_id=None, redeemed=True)  # its user was erased
    assert code_problem("ABC123", released, "u1", NOW) is CodeProblem.ALREADY_IN_USE
    old = facts(created_at=NOW - timedelta(days=367))
    assert code_problem("ABC123", old, "u1", NOW) is CodeProblem.CODE_EXPIRED


def test_checks_run_in_the_contracts_order() -> None:
    """When several checks fail, the earliest in the table wins."""
    everything_wrong = facts(active=False, assigned_user_id="u2", redeemed=True, created_at=NOW - timedelta(days=800))
    assert code_problem("abc", everything_wrong, "u1", NOW) is CodeProblem.INVALID_CODE
    assert code_problem("ABC123", everything_wrong, "u1", NOW) is CodeProblem.INACTIVE
    expired_and_taken = facts(assigned_user_id="u2", redeemed=True, created_at=NOW - timedelta(days=800))
    assert code_problem("ABC123", expired_and_taken, "u1", NOW) is CodeProblem.ALREADY_IN_USE
    expired_and_mine = facts(assigned_user_id="u1", redeemed=True, created_at=NOW - timedelta(days=800))
    assert code_problem("ABC123", expired_and_mine, "u1", NOW) is CodeProblem.ALREADY_APPLIED


def test_statuses_of_the_problems() -> None:
    assert {p.value: p.status_code for p in CodeProblem} == {
        "INVALID_CODE": 400,
        "DOES_NOT_EXIST": 400,
        "INACTIVE": 400,
        "ALREADY_APPLIED": 409,
        "ALREADY_IN_USE": 409,
        "CODE_EXPIRED": 400,
    }


def _partner(active: bool = True) -> PartnerRecord:
    return PartnerRecord(id="p1", name="Bloom", name_key="bloom", is_active=active, created_at=NOW, updated_at=NOW)


def _access(**overrides: object) -> PartnerAccessRecord:
    values: dict[str, object] = {
        "id": "a1",
        "partner_id": "p1",
        "access_code": "ABC123",
        "feature_live_chat": True,
        "feature_therapy": False,
        "therapy_sessions_remaining": 0,
        "therapy_sessions_redeemed": 0,
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(overrides)
    return PartnerAccessRecord.model_validate(values)


def test_code_facts_of_a_stored_access() -> None:
    assert _access().code_facts(_partner()) == facts(created_at=NOW)
    assert not _access().code_facts(_partner(active=False)).partner_active
    assert not _access().code_facts(None).partner_active
    assert _access(user_id="u1").code_facts(_partner()).redeemed
    assert _access(released_at=NOW).code_facts(_partner()).redeemed


def test_therapy_sessions_are_capped_by_the_partner_setting() -> None:
    assert therapy_sessions_problem(0, 6) is None
    assert therapy_sessions_problem(6, 6) is None
    assert therapy_sessions_problem(7, 6) == "therapySessionsRemaining must not be greater than 6"
    assert therapy_sessions_problem(-1, 6) == "therapySessionsRemaining must not be less than 0"
    assert therapy_sessions_problem(10, 12) is None


def test_a_new_access_has_redeemed_no_sessions() -> None:
    body = {"featureLiveChat": True, "featureTherapy": True, "therapySessionsRemaining": 3}
    assert CreatePartnerAccess.model_validate(body).therapy_sessions_redeemed == 0
    with pytest.raises(ValueError, match=r"less than or equal to 0"):
        CreatePartnerAccess.model_validate({**body, "therapySessionsRedeemed": 1})


def test_deactivation_switches_off_only_active_ones_and_reactivation_only_those() -> None:
    switched_off = deactivation_changes({"a": True, "b": False, "c": True})
    assert switched_off == {
        "a": {"active": False, "deactivated_with_partner": True},
        "c": {"active": False, "deactivated_with_partner": True},
    }
    assert reactivation_changes({"a": True, "b": False, "c": True}) == {
        "a": {"active": True, "deactivated_with_partner": False},
        "c": {"active": True, "deactivated_with_partner": False},
    }
    assert deactivation_changes({}) == {} and reactivation_changes({"b": False}) == {}


def test_partner_names_compare_case_insensitively() -> None:
    assert name_key("Bloom Partner") == name_key("BLOOM partner") == name_key("bloom partner")
    assert name_key("Straße") == name_key("STRASSE")
