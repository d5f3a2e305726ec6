"""What the claims area shows callers: a patient's insurance, eligibility checks and claims. Member data (member id,
group number, the subscriber's name and date of birth) is plaintext here only: stored, it is sealed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field

from bloom.core.models import CamelModel, RequestModel

Id = Annotated[str, Field(min_length=1, max_length=128)]
Name = Annotated[str, Field(min_length=1, max_length=60)]
Relationship = Literal["self", "spouse", "child", "other"]
EligibilityStatus = Literal["active", "inactive", "error"]
ClaimStatus = Literal["draft", "submitted", "accepted", "rejected", "paid", "denied"]
PROCEDURE_CODES = ("90791", "90832", "90834", "90837", "90846", "90847")
PLACES_OF_SERVICE = ("02", "10", "11")  # telehealth elsewhere, telehealth at the patient's home, office
DIAGNOSES_MAX = 12  # the 837P's health care code information holds 12


class Subscriber(CamelModel):
    first_name: Name
    last_name: Name
    date_of_birth: date


class InsuranceBody(RequestModel):
    payer_id: Annotated[str, Field(min_length=1, max_length=80)]
    member_id: Annotated[str, Field(min_length=1, max_length=80)]
    group_number: Annotated[str, Field(min_length=1, max_length=50)] | None = None
    subscriber: Subscriber
    relationship: Relationship


class Insurance(CamelModel):
    patient_id: str
    payer_id: str
    member_id: str
    group_number: str | None
    subscriber: Subscriber
    relationship: Relationship
    updated_at: datetime


class EligibilityRequest(RequestModel):
    patient_id: Id


class EligibilityCheck(CamelModel):
    """A summary of the payer's answer (the 271 itself is never stored); amounts in the payer's currency units."""

    id: str
    patient_id: str
    status: EligibilityStatus
    plan: str | None
    copay: float | None = None
    coinsurance_percent: float | None = None
    deductible_remaining: float | None = None
    checked_at: datetime


class CreateClaim(RequestModel):
    appointment_id: Id
    diagnosis_codes: Annotated[
        list[Annotated[str, Field(max_length=10)]], Field(min_length=1, max_length=DIAGNOSES_MAX)
    ]
    procedure_code: Annotated[str, Field(max_length=10)]
    place_of_service: Annotated[str, Field(max_length=2)] | None = Field(
        None, description="02, 10 or 11; by default 10 for an appointment with a meeting, 11 without"
    )
    rendering_npi: Annotated[str, Field(max_length=10)] | None = Field(
        None, description="The therapist's NPI; by default the practice's billing provider NPI"
    )


class HistoryEntry(CamelModel):
    status: ClaimStatus
    at: datetime
    note: str | None = None


class Claim(CamelModel):
    id: str
    appointment_id: str
    patient_id: str
    therapist_id: str
    payer_id: str
    diagnosis_codes: list[str]
    procedure_code: str
    place_of_service: str
    charge_amount: int = Field(description="Minor units (cents), the appointment's price")
    currency: str
    rendering_npi: str
    status: ClaimStatus
    control_number: str
    payer_claim_id: str | None = None
    history: list[HistoryEntry]
    created_at: datetime


class ClaimList(CamelModel):
    items: list[Claim]


class ClaimsQuery(RequestModel):
    status: ClaimStatus | None = None
