"""The claims area's stored documents and the rules that need no I/O: claim validation (NPI, ICD-10-CM, CPT, place
of service), the claim state machine, control numbers, and how Optum's answers are summarised.

Insurance member data is stored sealed (`bloom.platform.crypto`): `memberSealed` holds the ciphertext of the JSON of
the member id, group number, subscriber and relationship, with its document path and field as associated data."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bloom.claims.schemas import (
    PLACES_OF_SERVICE,
    PROCEDURE_CODES,
    Claim,
    ClaimStatus,
    EligibilityCheck,
    EligibilityStatus,
    HistoryEntry,
    Relationship,
)
from bloom.core.models import CamelModel

NPI_PREFIX = "80840"  # the card issuer prefix the NPI check digit is computed with (ISO 7812)
# ICD-10-CM: a letter, a digit, an alphanumeric, then optionally a dot and one to four alphanumerics.
_ICD10_CM = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
ClaimField = Literal[
    "diagnosisCodes", "procedureCode", "placeOfService", "renderingNpi", "billingProvider", "appointmentId", "currency"
]


def sealed_where(collection: str, doc_id: str, field: str) -> str:
    """The associated data of a sealed field: where it is stored, so a copy elsewhere does not open."""
    return f"{collection}/{doc_id}/{field}"


# ---------------------------------------------------------------- validation


def npi_valid(npi: str) -> bool:
    """Ten digits whose last is the Luhn check digit of the first nine prefixed with 80840."""
    if not re.fullmatch(r"[0-9]{10}", npi):
        return False
    total = 0
    for position, char in enumerate(reversed(NPI_PREFIX + npi)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return total % 10 == 0


def icd10_cm_valid(code: str) -> bool:
    return _ICD10_CM.fullmatch(code) is not None


@dataclass(frozen=True)
class ClaimFacts:
    """What a claim is checked against: its codes, and what its appointment and the practice's settings say."""

    diagnosis_codes: list[str]
    procedure_code: str
    place_of_service: str
    rendering_npi: str
    billing_provider_complete: bool
    billing_npi: str
    appointment_completed: bool
    currency: str


def claim_problems(facts: ClaimFacts) -> list[ClaimField]:
    """Every field that keeps the claim from being drafted or submitted, in the body's order (empty: valid)."""
    problems: list[ClaimField] = []
    if not facts.appointment_completed:
        problems.append("appointmentId")
    if not facts.diagnosis_codes or not all(icd10_cm_valid(code) for code in facts.diagnosis_codes):
        problems.append("diagnosisCodes")
    if facts.procedure_code not in PROCEDURE_CODES:
        problems.append("procedureCode")
    if facts.place_of_service not in PLACES_OF_SERVICE:
        problems.append("placeOfService")
    if not npi_valid(facts.rendering_npi):
        problems.append("renderingNpi")
    if not facts.billing_provider_complete or not npi_valid(facts.billing_npi):
        problems.append("billingProvider")
    if facts.currency != "USD":
        problems.append("currency")
    return problems


def default_place_of_service(has_meeting: bool) -> str:
    """A session with a meeting is telehealth at the patient's home (10); otherwise in the office (11)."""
    return "10" if has_meeting else "11"


def control_number(seed: str) -> str:
    """Nine digits derived from `seed`: the same claim always sends the same interchange control number."""
    return f"{int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], 'big') % 1_000_000_000:09d}"


# ---------------------------------------------------------------- the claim state machine

TRANSITIONS: dict[ClaimStatus, frozenset[ClaimStatus]] = {
    "draft": frozenset({"submitted", "rejected"}),
    "submitted": frozenset({"accepted", "rejected", "paid", "denied"}),
    "accepted": frozenset({"paid", "denied", "rejected"}),
    "rejected": frozenset(),
    "paid": frozenset(),
    "denied": frozenset(),
}
POLLED: tuple[ClaimStatus, ...] = ("submitted", "accepted")  # what the status poll asks about


class IllegalTransition(Exception):
    """A claim was asked to move where its state machine does not go."""


def may_move(current: ClaimStatus, target: ClaimStatus) -> bool:
    return target in TRANSITIONS[current]


def moved(
    history: list[HistoryEntry], current: ClaimStatus, target: ClaimStatus, at: datetime, note: str | None
) -> list[HistoryEntry] | None:
    """The history after moving to `target` (None: already there, nothing to record); raises IllegalTransition."""
    if target == current:
        return None
    if not may_move(current, target):
        raise IllegalTransition(f"{current} -> {target}")
    return [*history, HistoryEntry(status=target, at=at, note=note)]


# Claim Status (277) category codes: A acknowledgement, P pending, F finalized, R request for information, E error.
_CATEGORY_STATUS: dict[str, ClaimStatus] = {
    "A1": "accepted",
    "A2": "accepted",
    "A3": "rejected",
    "A6": "rejected",
    "A7": "rejected",
    "A8": "rejected",
    "P0": "accepted",
    "P1": "accepted",
    "P2": "accepted",
    "P3": "accepted",
    "P4": "accepted",
    "P5": "accepted",
    "F1": "paid",
    "F2": "denied",
    "F3": "paid",
    "F4": "denied",
}


def status_of_category(category_code: str) -> ClaimStatus | None:
    """Where a claim status category moves a claim (None: nothing to learn, e.g. A0, A4 not found yet, E*)."""
    return _CATEGORY_STATUS.get(category_code)


# ---------------------------------------------------------------- Optum's answers, summarised


def error_codes(answer: dict[str, Any]) -> list[str]:
    """The codes of Optum's `errors` (and the payer's AAA errors): codes only, never the fields' values."""
    found: list[Any] = list(answer.get("errors") or [])
    for part in ("subscriber", "provider", "payer"):
        section = answer.get(part)
        if isinstance(section, dict):
            found += section.get("aaaErrors") or []
    error_response = answer.get("errorResponse")
    if isinstance(error_response, dict):
        found += error_response.get("errors") or []
        if error_response.get("code"):
            found.append({"code": error_response["code"]})
    codes = [str(item.get("code")) for item in found if isinstance(item, dict) and item.get("code")]
    return list(dict.fromkeys(codes)) or (["unknown"] if found else [])


def codes_note(prefix: str, codes: Iterable[str]) -> str:
    """A history note that carries codes only (no member data)."""
    safe = [re.sub(r"[^0-9A-Za-z_.-]", "", code)[:20] for code in codes]
    return f"{prefix}: {', '.join(code for code in safe if code) or 'no code'}"


def _amount(value: Any) -> float | None:
    try:
        return round(float(value), 2) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class EligibilitySummary:
    status: EligibilityStatus
    plan: str | None
    copay: float | None
    coinsurance_percent: float | None
    deductible_remaining: float | None
    error_codes: list[str]


ACTIVE_CODES = frozenset({"1", "2", "3", "4", "5"})  # EB01: active coverage (1) and its variants
INACTIVE_CODES = frozenset({"6", "7", "8"})  # EB01: inactive, inactive pending eligibility update/investigation


def summarise_eligibility(answer: dict[str, Any]) -> EligibilitySummary:
    """The few fields we keep of an eligibility response: coverage status, plan, copay, coinsurance and remaining
    deductible (in-network amounts first). A payer rejection (200 with `errors`) is `error` with its codes."""
    codes = error_codes(answer)
    benefits = [item for item in answer.get("benefitsInformation") or [] if isinstance(item, dict)]
    statuses = [str(item.get("code", "")) for item in benefits]
    statuses += [str(item.get("statusCode", "")) for item in answer.get("planStatus") or [] if isinstance(item, dict)]
    if codes or not statuses:
        return EligibilitySummary("error", None, None, None, None, codes or ["no-coverage-information"])
    active = any(code in ACTIVE_CODES for code in statuses)
    status: EligibilityStatus = (
        "active" if active else "inactive" if any(c in INACTIVE_CODES for c in statuses) else "error"
    )

    def first(code: str, value_key: str, *, qualifier: str | None = None) -> Any:
        matching = [
            item
            for item in benefits
            if item.get("code") == code and (qualifier is None or item.get("timeQualifierCode") == qualifier)
        ]
        matching.sort(key=lambda item: item.get("inPlanNetworkIndicatorCode") not in ("Y", "W"))
        return next((item.get(value_key) for item in matching if item.get(value_key) not in (None, "")), None)

    found_plan = answer.get("planInformation")
    plan_information: dict[str, Any] = found_plan if isinstance(found_plan, dict) else {}
    plan = (
        plan_information.get("planDescription")
        or plan_information.get("groupDescription")
        or next((item.get("planCoverage") for item in benefits if item.get("planCoverage")), None)
        or next((item.get("planDetails") for item in answer.get("planStatus") or [] if item.get("planDetails")), None)
    )
    percent = _amount(first("A", "benefitPercent"))
    return EligibilitySummary(
        status=status,
        plan=str(plan)[:200] if plan else None,
        copay=_amount(first("B", "benefitAmount")),
        coinsurance_percent=round(percent * 100, 2) if percent is not None else None,
        deductible_remaining=_amount(first("C", "benefitAmount", qualifier="29")),
        error_codes=[] if status != "error" else ["no-coverage-status"],
    )


def submission_outcome(answer: dict[str, Any]) -> tuple[ClaimStatus, str]:
    """Where a claim goes after Professional Claims answered 200: `submitted` when the clearinghouse took it,
    `rejected` (with the error codes) when it answered with `errors` or another status."""
    codes = error_codes(answer)
    if answer.get("status") == "SUCCESS" and not codes:
        return "submitted", "accepted by the clearinghouse"
    failure = answer.get("failure")
    if not codes and isinstance(failure, dict) and failure.get("code"):
        codes = [str(failure["code"])]
    return "rejected", codes_note(f"rejected by the clearinghouse ({answer.get('status') or 'no status'})", codes)


# ---------------------------------------------------------------- stored documents


class InsuranceRecord(CamelModel):
    patient_id: str
    payer_id: str
    member_sealed: str
    updated_at: datetime


class MemberData(CamelModel):
    """The sealed part of a patient's insurance (the JSON inside `memberSealed`)."""

    member_id: str
    group_number: str | None
    first_name: str
    last_name: str
    date_of_birth: str  # ISO date
    relationship: Relationship


class EligibilityRecord(EligibilityCheck):
    checked_by: str
    error_codes: list[str] = []

    def out(self) -> EligibilityCheck:
        return EligibilityCheck.model_validate(self.model_dump(include=set(EligibilityCheck.model_fields)))


class ClaimRecord(Claim):
    service_date: datetime  # the appointment's start
    submitting_until: datetime | None = None  # a submission in flight (no second one meanwhile)
    updated_at: datetime

    def out(self) -> Claim:
        return Claim.model_validate(self.model_dump(include=set(Claim.model_fields)))


def claim_id_of(appointment_id: str) -> str:
    """One claim per appointment: its id is derived from the appointment's."""
    return f"claim-{appointment_id}"


@dataclass(frozen=True)
class StatusReport:
    """What one Claim Status answer says of a claim: where it moves (None: nowhere), the payer's claim number,
    and a note of codes."""

    status: ClaimStatus | None
    payer_claim_id: str | None
    note: str


def read_claim_status(answer: dict[str, Any]) -> StatusReport:
    """The first claim's status category in a Claim Status answer; errors move nothing."""
    codes = error_codes(answer)
    if codes:
        return StatusReport(None, None, codes_note("claim status error", codes))
    for item in answer.get("claims") or []:
        status = item.get("claimStatus") if isinstance(item, dict) else None
        if not isinstance(status, dict) or not status.get("statusCategoryCode"):
            continue
        category = str(status["statusCategoryCode"])
        payer_claim_id = status.get("tradingPartnerClaimNumber")
        note = codes_note("claim status", [category, str(status.get("statusCode") or "")])
        return StatusReport(status_of_category(category), str(payer_claim_id)[:50] if payer_claim_id else None, note)
    return StatusReport(None, None, "claim status: no claim in the answer")
