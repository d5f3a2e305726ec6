"""The claims area's use cases: a patient's insurance (member data sealed under the patient's data key), eligibility
checks through Optum (only a summary stored), claims (one draft per completed appointment, validated, submitted
through Professional Claims, moved along by the Claim Status poll) and erasure.

Who sees what: a patient's insurance is read by the patient, their active therapists and practice admins; an
eligibility check is asked by an active therapist of the patient or a practice admin. A claim is seen by its
therapist, its patient and practice admins, drafted by the appointment's therapist, submitted by its therapist or
a practice admin. Anyone else is answered as if nothing existed (404). Member data reaches Optum's requests only,
built here from the decrypted insurance; logs, errors and claim history carry ids and codes.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import partial

from bloom.claims import errors, optum
from bloom.claims.models import (
    ClaimFacts,
    ClaimField,
    ClaimRecord,
    EligibilityRecord,
    IllegalTransition,
    InsuranceRecord,
    MemberData,
    StatusReport,
    claim_id_of,
    claim_problems,
    control_number,
    default_place_of_service,
    moved,
    read_claim_status,
    sealed_where,
    submission_outcome,
    summarise_eligibility,
)
from bloom.claims.payloads import (
    billing_provider,
    claim_request,
    claim_status_request,
    eligibility_request,
)
from bloom.claims.repository import ClaimsWork
from bloom.claims.schemas import (
    Claim,
    ClaimList,
    ClaimsQuery,
    ClaimStatus,
    CreateClaim,
    EligibilityCheck,
    EligibilityRequest,
    HistoryEntry,
    Insurance,
    InsuranceBody,
    Subscriber,
)
from bloom.core.errors import BadRequest, ErrorSpec
from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.platform import crypto
from bloom.platform.store.unit_of_work import UnitOfWork
from bloom.practice import service as practice
from bloom.scheduling import errors as scheduling_errors
from bloom.scheduling import service as scheduling
from bloom.scheduling.schemas import Appointment
from bloom.users.schemas import Caller

_log = get_logger(__name__)
SUBMISSION_LEASE = timedelta(minutes=2)
OPTUM_SECRETS = optum.SECRETS  # declared by the functions whose use cases call Optum
PROBLEM_ERRORS: dict[ClaimField, ErrorSpec] = {
    "appointmentId": errors.APPOINTMENT_NOT_COMPLETED,
    "diagnosisCodes": errors.INVALID_DIAGNOSIS_CODES,
    "procedureCode": errors.INVALID_PROCEDURE_CODE,
    "placeOfService": errors.INVALID_PLACE_OF_SERVICE,
    "renderingNpi": errors.INVALID_RENDERING_NPI,
    "billingProvider": errors.INVALID_BILLING_PROVIDER,
    "currency": errors.CHARGE_NOT_IN_USD,
}


# ---------------------------------------------------------------- who may see what


def _is_active_therapist_in(uow: UnitOfWork, caller: Caller, patient_id: str) -> bool:
    profile_id = caller.user.therapist_profile_id
    return (
        caller.is_therapist
        and profile_id is not None
        and practice.care_relation_in(uow, profile_id, patient_id) == "active"
    )


def _may_see_insurance_in(uow: UnitOfWork, caller: Caller, patient_id: str) -> bool:
    return caller.user.id == patient_id or caller.is_practice_admin or _is_active_therapist_in(uow, caller, patient_id)


def _may_see_claim(caller: Caller, claim: ClaimRecord) -> bool:
    return (
        caller.is_practice_admin
        or caller.user.id == claim.patient_id
        or (caller.is_therapist and caller.user.therapist_profile_id == claim.therapist_id)
    )


def _may_submit(caller: Caller, claim: ClaimRecord) -> bool:
    return caller.is_practice_admin or (caller.is_therapist and caller.user.therapist_profile_id == claim.therapist_id)


# ---------------------------------------------------------------- insurance


def _member_where(uow: ClaimsWork, patient_id: str) -> str:
    return sealed_where(uow.insurance.collection_name, patient_id, "member")


def _open_member_in(uow: ClaimsWork, record: InsuranceRecord) -> MemberData:
    sealer = crypto.sealer_in(uow, record.patient_id)
    return MemberData.model_validate_json(sealer.open(record.member_sealed, _member_where(uow, record.patient_id)))


def _insurance(record: InsuranceRecord, member: MemberData) -> Insurance:
    return Insurance(
        patient_id=record.patient_id,
        payer_id=record.payer_id,
        member_id=member.member_id,
        group_number=member.group_number,
        subscriber=Subscriber(
            first_name=member.first_name,
            last_name=member.last_name,
            date_of_birth=datetime.fromisoformat(member.date_of_birth).date(),
        ),
        relationship=member.relationship,
        updated_at=record.updated_at,
    )


def put_insurance(caller: Caller, body: InsuranceBody) -> Insurance:
    """The patient writes (or replaces) their insurance; the member data is sealed before it is stored."""
    patient_id = caller.user.id
    member = MemberData(
        member_id=body.member_id,
        group_number=body.group_number,
        first_name=body.subscriber.first_name,
        last_name=body.subscriber.last_name,
        date_of_birth=body.subscriber.date_of_birth.isoformat(),
        relationship=body.relationship,
    )

    def work(uow: ClaimsWork) -> InsuranceRecord:
        sealer = crypto.sealer_in(uow, patient_id)
        record = InsuranceRecord(
            patient_id=patient_id,
            payer_id=body.payer_id,
            member_sealed=sealer.seal(member.model_dump_json(), _member_where(uow, patient_id)),
            updated_at=utcnow(),
        )
        uow.insurance.save(patient_id, record)
        return record

    return _insurance(ClaimsWork.run_in_transaction(work), member)


def get_insurance(caller: Caller, patient_id: str) -> Insurance:
    """The patient's insurance, for the patient, their active therapists and practice admins (404 otherwise)."""
    patient_id = caller.user.id if patient_id == "me" else patient_id
    with ClaimsWork() as uow:
        if not _may_see_insurance_in(uow, caller, patient_id):
            raise errors.INSURANCE_NOT_FOUND.error()
        record = uow.insurance.get(patient_id)
        if record is None:
            raise errors.INSURANCE_NOT_FOUND.error()
        member = _open_member_in(uow, record)
    return _insurance(record, member)


def erase_insurance_of(user_id: str) -> int:
    """A deleted patient's insurance and eligibility checks go; their claims stay (financial records, ids and codes
    only). Idempotent; returns how many documents were deleted."""
    with ClaimsWork() as uow:
        found = uow.insurance.get(user_id) is not None
        uow.insurance.delete(user_id)
    deleted = ClaimsWork().eligibility.delete_matching(patient_id=user_id) + int(found)
    _log.info("insurance of a deleted user erased", extra={"documents": deleted})
    return deleted


# ---------------------------------------------------------------- eligibility


def _optum_error(exc: Exception) -> ErrorSpec:
    return errors.OPTUM_UNAVAILABLE if isinstance(exc, optum.OptumUnavailable) else errors.OPTUM_REFUSED


def check_eligibility(caller: Caller, body: EligibilityRequest, *, now: datetime | None = None) -> EligibilityCheck:
    """Ask the payer (Eligibility v3) whether the patient's insurance is active; keep only the summary."""
    moment = now or utcnow()
    patient_id = body.patient_id
    with ClaimsWork() as uow:
        allowed = caller.is_practice_admin or _is_active_therapist_in(uow, caller, patient_id)
        record = uow.insurance.get(patient_id) if allowed else None
        if record is None:
            raise errors.INSURANCE_NOT_FOUND.error()
        member = _open_member_in(uow, record)
    provider = billing_provider()
    request = eligibility_request(f"{secrets.randbelow(10**9):09d}", record.payer_id, member, provider, moment.date())
    try:
        answer = optum.check_eligibility(request)
    except (optum.OptumUnavailable, optum.OptumRefused) as exc:
        _log.warning("eligibility check failed", extra={"reason": str(exc)})
        raise _optum_error(exc).error() from None
    summary = summarise_eligibility(answer)
    check = EligibilityRecord(
        id=f"{patient_id}-{secrets.token_hex(8)}",
        patient_id=patient_id,
        status=summary.status,
        plan=summary.plan,
        copay=summary.copay,
        coinsurance_percent=summary.coinsurance_percent,
        deductible_remaining=summary.deductible_remaining,
        checked_at=moment,
        checked_by=caller.user.id,
        error_codes=summary.error_codes,
    )
    with ClaimsWork() as uow:
        uow.eligibility.create(check.id, check)
    _log.info("eligibility checked", extra={"status": summary.status, "codes": summary.error_codes})
    return check.out()


# ---------------------------------------------------------------- claims


def _raise_problems(facts: ClaimFacts) -> None:
    problems = claim_problems(facts)
    if problems:
        raise BadRequest([PROBLEM_ERRORS[field].message for field in problems])


def _facts(
    appointment: Appointment, diagnosis_codes: list[str], procedure_code: str, place: str, rendering_npi: str
) -> ClaimFacts:
    provider = billing_provider()
    return ClaimFacts(
        diagnosis_codes=diagnosis_codes,
        procedure_code=procedure_code,
        place_of_service=place,
        rendering_npi=rendering_npi,
        billing_provider_complete=provider.complete,
        billing_npi=provider.npi,
        appointment_completed=appointment.status == "completed",
        currency=appointment.price.currency,
    )


def create_claim(caller: Caller, body: CreateClaim, *, now: datetime | None = None) -> Claim:
    """The appointment's therapist drafts its claim; asking again returns the claim already drafted."""
    appointment = scheduling.get_appointment(body.appointment_id)
    if not caller.is_therapist or caller.user.therapist_profile_id != appointment.therapist_id:
        raise scheduling_errors.APPOINTMENT_NOT_FOUND.error()
    claim_id = claim_id_of(appointment.id)
    place = body.place_of_service or default_place_of_service(appointment.meeting is not None)
    rendering_npi = body.rendering_npi or billing_provider().npi
    facts = _facts(appointment, body.diagnosis_codes, body.procedure_code, place, rendering_npi)

    def work(uow: ClaimsWork) -> ClaimRecord:
        fetched = uow.fetch([(uow.claims, claim_id), (uow.insurance, appointment.patient_id)])
        existing = fetched.get(uow.claims, claim_id)
        if existing is not None:
            return existing
        _raise_problems(facts)
        insurance = fetched.get(uow.insurance, appointment.patient_id)
        if insurance is None:
            raise errors.NO_INSURANCE.error()
        moment = now or utcnow()
        record = ClaimRecord(
            id=claim_id,
            appointment_id=appointment.id,
            patient_id=appointment.patient_id,
            therapist_id=appointment.therapist_id,
            payer_id=insurance.payer_id,
            diagnosis_codes=body.diagnosis_codes,
            procedure_code=body.procedure_code,
            place_of_service=place,
            charge_amount=appointment.price.amount,
            currency=appointment.price.currency,
            rendering_npi=rendering_npi,
            status="draft",
            control_number=control_number(claim_id),
            history=[HistoryEntry(status="draft", at=moment)],
            created_at=moment,
            service_date=appointment.start,
            updated_at=moment,
        )
        uow.claims.create(claim_id, record)
        return record

    return ClaimsWork.run_in_transaction(work).out()


def _visible_claim(caller: Caller, claim_id: str) -> ClaimRecord:
    with ClaimsWork() as uow:
        record = uow.claims.get(claim_id)
    if record is None or not _may_see_claim(caller, record):
        raise errors.CLAIM_NOT_FOUND.error()
    return record


def get_claim(caller: Caller, claim_id: str) -> Claim:
    return _visible_claim(caller, claim_id).out()


def list_claims(caller: Caller, query: ClaimsQuery) -> ClaimList:
    """Practice admins see the practice's claims, a therapist theirs, a patient the claims about them."""
    with ClaimsWork() as uow:
        if caller.is_practice_admin:
            found = uow.claims.recent()
        elif caller.is_therapist and caller.user.therapist_profile_id is not None:
            found = uow.claims.of_therapist(caller.user.therapist_profile_id)
        else:
            found = uow.claims.of_patient(caller.user.id)
    return ClaimList(items=[item.out() for item in found if query.status in (None, item.status)])


def _move_in(
    uow: ClaimsWork, record: ClaimRecord, status: ClaimStatus, at: datetime, note: str, **more: str
) -> ClaimRecord | None:
    """Move the claim along its state machine with the unit's writes (None: no change)."""
    history = moved(record.history, record.status, status, at, note)
    if history is None:
        return None
    stored_history = [entry.model_dump(mode="json", by_alias=True) for entry in history]
    uow.claims.change(record.id, status=status, history=stored_history, updated_at=at, **more)
    return record.model_copy(update={"status": status, "history": history, "updated_at": at, **more})


def submit_claim(caller: Caller, claim_id: str, *, now: datetime | None = None) -> Claim:
    """Validate the draft again and send it (Professional Claims v3): `submitted` when the clearinghouse takes it,
    `rejected` with its error codes when it does not. One submission at a time per claim."""
    record = _visible_claim(caller, claim_id)
    if not _may_submit(caller, record):
        raise errors.CLAIM_NOT_FOUND.error()
    if record.status != "draft":
        raise errors.CLAIM_NOT_DRAFT.error()
    appointment = scheduling.get_appointment(record.appointment_id)
    _raise_problems(
        _facts(
            appointment, record.diagnosis_codes, record.procedure_code, record.place_of_service, record.rendering_npi
        )
    )
    moment = now or utcnow()

    def take(uow: ClaimsWork) -> MemberData:
        current = uow.claims.get(claim_id)
        insurance = uow.insurance.get(record.patient_id)
        if current is None or current.status != "draft":
            raise errors.CLAIM_NOT_DRAFT.error()
        if current.submitting_until is not None and current.submitting_until > utcnow():
            raise errors.CLAIM_SUBMISSION_IN_PROGRESS.error()
        if insurance is None:
            raise errors.NO_INSURANCE.error()
        member = _open_member_in(uow, insurance)
        uow.claims.change(claim_id, submitting_until=utcnow() + SUBMISSION_LEASE)
        return member

    member = ClaimsWork.run_in_transaction(take)
    try:
        answer = optum.submit_claim(claim_request(record, member, billing_provider(), optum.usage_indicator()))
    except (optum.OptumUnavailable, optum.OptumRefused) as exc:
        with ClaimsWork() as uow:
            uow.claims.change(claim_id, submitting_until=None)
        _log.warning("claim submission failed", extra={"claim_id": claim_id, "reason": str(exc)})
        raise _optum_error(exc).error() from None
    status, note = submission_outcome(answer)

    def settle(uow: ClaimsWork) -> ClaimRecord:
        current = uow.claims.get(claim_id)
        assert current is not None  # claims are never deleted
        uow.claims.change(claim_id, submitting_until=None)
        return _move_in(uow, current, status, moment, note) or current

    settled = ClaimsWork.run_in_transaction(settle)
    _log.info("claim submitted", extra={"claim_id": claim_id, "status": settled.status})
    return settled.out()


def _apply_report(uow: ClaimsWork, *, claim_id: str, report: StatusReport, at: datetime) -> bool:
    current = uow.claims.get(claim_id)
    if current is None or report.status is None:
        return False
    more = {"payer_claim_id": report.payer_claim_id} if report.payer_claim_id else {}
    try:
        return _move_in(uow, current, report.status, at, report.note, **more) is not None
    except IllegalTransition:
        return False  # an older answer than what the claim already knows (or a claim moved meanwhile)


def poll_claim_statuses(*, now: datetime | None = None) -> int:
    """Ask Claim Status v2 about every submitted or accepted claim and move each along (each change in its history).
    Idempotent: an answer that says what the claim already says changes nothing. Returns how many moved."""
    moment = now or utcnow()
    with ClaimsWork() as uow:
        waiting = uow.claims.awaiting_payer()
    provider = billing_provider()
    moved_count = 0
    for claim in waiting:
        with ClaimsWork() as uow:
            insurance = uow.insurance.get(claim.patient_id)
            member = _open_member_in(uow, insurance) if insurance is not None else None
        if member is None:  # the patient was erased: the payer can no longer be asked
            continue
        request = claim_status_request(control_number(f"{claim.id}@{moment.isoformat()}"), claim, member, provider)
        try:
            report = read_claim_status(optum.claim_status(request))
        except (optum.OptumUnavailable, optum.OptumRefused) as exc:
            _log.warning("claim status failed", extra={"claim_id": claim.id, "reason": str(exc)})
            continue
        if report.status is None:
            continue

        moved_count += ClaimsWork.run_in_transaction(
            partial(_apply_report, claim_id=claim.id, report=report, at=moment)
        )
    _log.info("claim statuses polled", extra={"claims": len(waiting), "moved": moved_count})
    return moved_count
