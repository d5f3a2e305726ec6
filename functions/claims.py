"""Claims: a patient's insurance, eligibility checks and claims through Optum, the claim status poll, and the
erasure of a deleted patient's insurance.

Every route needs a second factor from therapists and practice admins (`Role.PRACTICE_*`); someone else's patient,
appointment or claim is answered like an unknown one (404). The routes that open insurance member data declare
`Capability.CLINICAL_KEYS` (the KMS grant to unwrap patients' data keys); those that call Optum its credentials.
"""

from __future__ import annotations

from bloom.api import HttpContext, http_function
from bloom.claims import errors
from bloom.claims import service as claims
from bloom.claims.schemas import (
    Claim,
    ClaimList,
    ClaimsQuery,
    CreateClaim,
    EligibilityCheck,
    EligibilityRequest,
    Insurance,
    InsuranceBody,
)
from bloom.platform.events import Event
from bloom.platform.http import Empty
from bloom.platform.registry import Capability, Role, Sdk
from bloom.platform.subscriber import event_function, scheduled_function
from bloom.platform.topics import ScheduledRun
from bloom.scheduling import errors as scheduling_errors
from bloom.users.events import USER_DELETED, UserDeleted

TAGS = ("claims",)
BASE = "/api/v1/practice"
CLAIM = f"{BASE}/claims/{{claim_id}}"
KEYS = (Capability.CLINICAL_KEYS,)
OPTUM_SDKS = (Sdk.REQUESTS,)
OPTUM_ERRORS = (errors.OPTUM_UNAVAILABLE, errors.OPTUM_REFUSED)


@http_function(
    "PUT",
    f"{BASE}/patients/me/insurance",
    role=Role.PRACTICE_USER,
    body=InsuranceBody,
    response=Insurance,
    summary="The patient sets their insurance (member data encrypted)",
    uses=KEYS,
    tags=TAGS,
)
def put_insurance(ctx: HttpContext[InsuranceBody, Empty]) -> Insurance:
    return claims.put_insurance(ctx.caller, ctx.body)


@http_function(
    "GET",
    f"{BASE}/patients/{{patient_id}}/insurance",
    role=Role.PRACTICE_USER,
    response=Insurance,
    summary="A patient's insurance (`me` for the caller's): the patient, their active therapists, practice admins",
    errors=(errors.INSURANCE_NOT_FOUND,),
    uses=KEYS,
    tags=TAGS,
)
def get_insurance(ctx: HttpContext[Empty, Empty]) -> Insurance:
    return claims.get_insurance(ctx.caller, ctx.path["patient_id"])


@http_function(
    "POST",
    f"{BASE}/eligibility-checks",
    role=Role.PRACTICE_STAFF,
    body=EligibilityRequest,
    response=EligibilityCheck,
    summary="Ask the payer whether the patient's insurance is active (Optum Eligibility v3); a summary is kept",
    errors=(errors.INSURANCE_NOT_FOUND, *OPTUM_ERRORS),
    secrets=claims.OPTUM_SECRETS,
    sdks=OPTUM_SDKS,
    uses=KEYS,
    tags=TAGS,
)
def create_eligibility_check(ctx: HttpContext[EligibilityRequest, Empty]) -> EligibilityCheck:
    return claims.check_eligibility(ctx.caller, ctx.body)


@http_function(
    "POST",
    f"{BASE}/claims",
    role=Role.THERAPIST,
    body=CreateClaim,
    response=Claim,
    summary="The therapist drafts the claim of a completed appointment (one per appointment: again returns it)",
    errors=(
        scheduling_errors.APPOINTMENT_NOT_FOUND,
        errors.NO_INSURANCE,
        *claims.PROBLEM_ERRORS.values(),
    ),
    tags=TAGS,
)
def create_claim(ctx: HttpContext[CreateClaim, Empty]) -> Claim:
    return claims.create_claim(ctx.caller, ctx.body)


@http_function(
    "POST",
    f"{CLAIM}/submit",
    role=Role.PRACTICE_STAFF,
    response=Claim,
    summary="Validate and submit a draft claim (Optum Professional Claims v3)",
    errors=(
        errors.CLAIM_NOT_FOUND,
        errors.CLAIM_NOT_DRAFT,
        errors.CLAIM_SUBMISSION_IN_PROGRESS,
        errors.NO_INSURANCE,
        scheduling_errors.APPOINTMENT_NOT_FOUND,
        *claims.PROBLEM_ERRORS.values(),
        *OPTUM_ERRORS,
    ),
    secrets=claims.OPTUM_SECRETS,
    sdks=OPTUM_SDKS,
    uses=KEYS,
    tags=TAGS,
)
def submit_claim(ctx: HttpContext[Empty, Empty]) -> Claim:
    return claims.submit_claim(ctx.caller, ctx.path["claim_id"])


@http_function(
    "GET",
    f"{BASE}/claims",
    role=Role.PRACTICE_USER,
    query=ClaimsQuery,
    response=ClaimList,
    summary="Claims, newest first: all for practice admins, a therapist's own, a patient's about them",
    tags=TAGS,
)
def list_claims(ctx: HttpContext[Empty, ClaimsQuery]) -> ClaimList:
    return claims.list_claims(ctx.caller, ctx.query)


@http_function(
    "GET",
    CLAIM,
    role=Role.PRACTICE_USER,
    response=Claim,
    summary="A claim (its therapist, its patient, practice admins)",
    errors=(errors.CLAIM_NOT_FOUND,),
    tags=TAGS,
)
def get_claim(ctx: HttpContext[Empty, Empty]) -> Claim:
    return claims.get_claim(ctx.caller, ctx.path["claim_id"])


@scheduled_function(
    "0 * * * *",
    summary="Ask Optum Claim Status v2 about submitted and accepted claims and move them along",
    secrets=claims.OPTUM_SECRETS,
    sdks=OPTUM_SDKS,
    uses=KEYS,
)
def poll_claim_statuses(event: Event[ScheduledRun]) -> None:
    claims.poll_claim_statuses(now=event.payload.moment())


@event_function(USER_DELETED, summary="Delete a deleted patient's insurance and eligibility checks (claims stay)")
def erase_insurance_of_deleted_user(event: Event[UserDeleted]) -> None:
    claims.erase_insurance_of(event.payload.user_id)
