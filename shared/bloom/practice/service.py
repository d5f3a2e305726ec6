"""The practice's use cases: therapist profiles and discovery, assignments (requested → active | declined;
active → ended; one open assignment per pair), connections, `GET practice/me`, practice roles and the auth audit.

Practice roles are denormalised onto the user document (`therapistProfileId`, `practiceAdmin`, through
`bloom.users.service.set_practice_roles_in`, in the transaction that grants them), so authentication checks
them without another read. Someone else's profile or assignment id is answered like an unknown one (404).
"""

from __future__ import annotations

import secrets
import uuid
from typing import Literal

from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.identity import service as identity
from bloom.platform import cursors
from bloom.platform.store.unit_of_work import DuplicateDocument, UnitOfWork
from bloom.practice import errors
from bloom.practice.models import (
    OPEN_STATUSES,
    AssignmentRecord,
    PairLock,
    TherapistRecord,
    Transition,
    facet_filters,
    next_status,
    pair_key,
    practice_roles,
    transition_fields,
)
from bloom.practice.repository import PracticeWork
from bloom.practice.schemas import (
    Assignment,
    CareParties,
    Connection,
    CreateAssignment,
    CreateTherapist,
    PatientCard,
    PracticeMe,
    TherapistPage,
    TherapistProfile,
    TherapistQuery,
    UpdateTherapist,
)
from bloom.users import firebase_accounts
from bloom.users import service as users
from bloom.users.errors import USER_NOT_FOUND
from bloom.users.schemas import Caller, UserRecord

_log = get_logger(__name__)


# ---------------------------------------------------------------- roles


def grant_practice_admin(email: str, actor_id: str | None = None) -> bool:
    """Make an existing user a practice admin (dev CLI); False if they already were. Audited as a role change."""
    found = users.find_by_email(email)
    if found is None:
        raise USER_NOT_FOUND.error()
    auth_uid = found[0]

    def work(uow: PracticeWork) -> bool:
        user = users.get_in(uow, auth_uid)
        if user is None:
            raise USER_NOT_FOUND.error()
        if user.practice_admin:
            return False
        users.set_practice_roles_in(uow, auth_uid, therapist_profile_id=user.therapist_profile_id, practice_admin=True)
        identity.record_auth_audit_in(
            uow, "role_changed", actor_id, user.id, {"role": "practice_admin", "change": "granted"}
        )
        return True

    return PracticeWork.run_in_transaction(work)


# ---------------------------------------------------------------- therapists


def create_therapist(caller: Caller, body: CreateTherapist) -> TherapistProfile:
    """Make the person with this email a therapist: their Firebase account (random password; they reset it) and
    Bloom user if they have none, and a profile. An account created here is removed again if anything after it
    fails, so no orphan account is left behind."""
    uid = firebase_accounts.uid_for_email(body.email)
    created_account = uid is None
    if uid is None:
        uid = firebase_accounts.create_account(body.email, secrets.token_urlsafe(24))
    account_uid = uid

    def work(uow: PracticeWork) -> TherapistRecord:
        existing = users.get_in(uow, account_uid)
        if existing is not None and existing.deleted_at is not None:
            raise USER_NOT_FOUND.error()  # an erasure is under way for this account
        if existing is not None and existing.therapist_profile_id is not None:
            raise errors.THERAPIST_ALREADY_EXISTS.error()
        now = utcnow()
        user = existing or UserRecord(
            id=str(uuid.uuid4()),
            email=body.email,
            name=body.name,
            created_at=now,
            updated_at=now,
            service_emails_permission=True,
            crisp_token_id=str(uuid.uuid4()),
        )
        record = TherapistRecord(
            id=str(uuid.uuid4()),
            user_id=user.id,
            auth_uid=account_uid,
            display_name=body.name,
            created_at=now,
            updated_at=now,
        )
        uow.therapists.create(record.id, record)
        if existing is not None:
            users.set_practice_roles_in(
                uow, account_uid, therapist_profile_id=record.id, practice_admin=existing.practice_admin
            )
        else:  # fails the transaction if a user document appeared meanwhile
            users.create_in(uow, account_uid, user.model_copy(update={"therapist_profile_id": record.id}))
        actor = caller.user.id
        identity.record_auth_audit_in(uow, "therapist_created", actor, user.id, {"therapistProfileId": record.id})
        identity.record_auth_audit_in(uow, "role_changed", actor, user.id, {"role": "therapist", "change": "granted"})
        return record

    try:
        record = PracticeWork.run_in_transaction(work)
    except BaseException:
        if created_account:
            _remove_account_unless_used(account_uid)
        raise
    _log.info("therapist created", extra={"therapistProfileId": record.id})
    return record.profile()


def _remove_account_unless_used(auth_uid: str) -> None:
    try:
        if users.record_of(auth_uid) is not None:
            return
    except Exception:  # Firestore unreachable: the failed transaction is taken not to have committed
        _log.warning("failed therapist creation: could not check for a user document; removing the account")
    try:
        firebase_accounts.delete_account(auth_uid)
    except Exception as exc:
        _log.error("failed therapist creation: account not removed", extra={"errorType": type(exc).__name__})


def update_therapist(caller: Caller, profile_id: str, body: UpdateTherapist) -> TherapistProfile:
    """That therapist or a practice admin; anyone else gets 404."""
    if not (caller.is_practice_admin or caller.user.therapist_profile_id == profile_id):
        raise errors.THERAPIST_NOT_FOUND.error()
    changes = {key: value for key, value in body.model_dump().items() if value is not None}

    def work(uow: PracticeWork) -> TherapistRecord:
        record = uow.therapists.get(profile_id)
        if record is None:
            raise errors.THERAPIST_NOT_FOUND.error()
        updated = record.model_copy(update={**changes, "updated_at": utcnow()})
        uow.therapists.save(profile_id, TherapistRecord.model_validate(updated.model_dump()))
        return updated

    return PracticeWork.run_in_transaction(work).profile()


def therapist_user_id_in(uow: UnitOfWork, therapist_id: str) -> str | None:
    """The user id behind a therapist profile, or None when there is no such profile (for areas keyed by it)."""
    record = PracticeWork.join(uow).therapists.get(therapist_id)
    return record.user_id if record is not None else None


def discover_therapists(query: TherapistQuery) -> TherapistPage:
    after = cursors.decode(query.cursor, cursors.AfterId)
    equalities = facet_filters(query.language, query.specialty, query.licensed_in, query.accepting_patients)
    with PracticeWork() as uow:
        found = uow.therapists.discover(equalities, after, query.limit + 1)
    page = found[: query.limit]
    next_cursor = cursors.encode(cursors.AfterId(id=page[-1].id)) if len(found) > query.limit else None
    return TherapistPage(items=[record.card() for record in page], next_cursor=next_cursor)


# ---------------------------------------------------------------- assignments


def _visible(caller: Caller, record: AssignmentRecord) -> bool:
    return (
        caller.is_practice_admin
        or record.patient_id == caller.user.id
        or (caller.is_therapist and record.therapist_id == caller.user.therapist_profile_id)
    )


def create_assignment(caller: Caller, body: CreateAssignment) -> Assignment:
    """A patient's request (status requested), or a practice admin's direct assignment (active)."""
    direct = body.patient_id is not None
    if direct and not caller.is_practice_admin:
        raise errors.PATIENT_NOT_FOUND.error()

    def work(uow: PracticeWork) -> AssignmentRecord:
        therapist = uow.therapists.get(body.therapist_id)
        if therapist is None:
            raise errors.THERAPIST_NOT_FOUND.error()
        if body.patient_id is not None:
            found = users.find_in(uow, body.patient_id)
            if found is None or found[1].deleted_at is not None:
                raise errors.PATIENT_NOT_FOUND.error()
            patient_uid, patient = found
        else:
            patient_uid, patient = caller.auth_uid, caller.user
            if not therapist.accepting_patients:
                raise errors.THERAPIST_NOT_ACCEPTING_PATIENTS.error()
        if patient.id == therapist.user_id:
            raise errors.SELF_ASSIGNMENT.error()
        key = pair_key(therapist.id, patient.id)
        if uow.pairs.get(key) is not None:
            raise errors.ASSIGNMENT_ALREADY_OPEN.error()
        now = utcnow()
        record = AssignmentRecord(
            id=str(uuid.uuid4()),
            therapist_id=therapist.id,
            therapist_user_id=therapist.user_id,
            therapist_uid=therapist.auth_uid,
            patient_id=patient.id,
            patient_uid=patient_uid,
            status="active" if direct else "requested",
            requested_at=now,
            started_at=now if direct else None,
        )
        uow.pairs.create(key, PairLock(assignment_id=record.id))  # the commit fails if another claimed the pair
        uow.assignments.create(record.id, record)
        return record

    try:
        record = PracticeWork.run_in_transaction(work)
    except DuplicateDocument:
        raise errors.ASSIGNMENT_ALREADY_OPEN.error() from None
    _log.info("assignment created", extra={"assignmentId": record.id, "status": record.status})
    return record.out()


def respond_to_assignment(caller: Caller, assignment_id: str, transition: Transition) -> Assignment:
    """The assignment's therapist accepts or declines a request."""

    def work(uow: PracticeWork) -> AssignmentRecord:
        record = uow.assignments.get(assignment_id)
        if record is None or record.therapist_id != caller.user.therapist_profile_id:
            raise errors.ASSIGNMENT_NOT_FOUND.error()
        return _apply(uow, record, transition, caller.user.id)

    return PracticeWork.run_in_transaction(work).out()


def end_assignment_in(uow: UnitOfWork, caller: Caller, assignment_id: str) -> AssignmentRecord:
    """Either side or a practice admin ends an active assignment (messaging makes its care thread read-only in
    the same transaction)."""
    work = PracticeWork.join(uow)
    record = work.assignments.get(assignment_id)
    if record is None or not _visible(caller, record):
        raise errors.ASSIGNMENT_NOT_FOUND.error()
    return _apply(work, record, "end", caller.user.id)


def _apply(uow: PracticeWork, record: AssignmentRecord, transition: Transition, actor_id: str) -> AssignmentRecord:
    status = next_status(record.status, transition)
    if status is None:
        raise errors.ASSIGNMENT_STATE_CONFLICT.error()
    changes = transition_fields(record, transition, actor_id, utcnow())
    uow.assignments.change(record.id, **changes)
    if status not in OPEN_STATUSES:
        uow.pairs.delete(pair_key(record.therapist_id, record.patient_id))
    return record.model_copy(update=changes)


def care_parties_in(uow: UnitOfWork, caller: Caller, assignment_id: str) -> CareParties:
    """The parties of an assignment the caller is part of (or any, for a practice admin); 404 otherwise."""
    record = PracticeWork.join(uow).assignments.get(assignment_id)
    if record is None or not _visible(caller, record):
        raise errors.ASSIGNMENT_NOT_FOUND.error()
    return CareParties(
        assignment_id=record.id,
        status=record.status,
        therapist_user_id=record.therapist_user_id,
        therapist_uid=record.therapist_uid,
        patient_id=record.patient_id,
        patient_uid=record.patient_uid,
    )


def care_relation_in(uow: UnitOfWork, therapist_profile_id: str, patient_id: str) -> Literal["active", "ended"] | None:
    """How a therapist stands to a patient (clinical records' care team): "active" while an assignment between
    them is active, "ended" when one ended (read-only), None otherwise (requests and declines count for nothing)."""
    statuses = {
        record.status
        for record in PracticeWork.join(uow).assignments.of_patient(patient_id)
        if record.therapist_id == therapist_profile_id
    }
    if "active" in statuses:
        return "active"
    return "ended" if "ended" in statuses else None


# ---------------------------------------------------------------- connections and me


def _sides(caller: Caller) -> tuple[list[AssignmentRecord], list[AssignmentRecord]]:
    """(as a patient, as a therapist): the caller's assignments, newest first."""
    with PracticeWork() as uow:
        as_patient = uow.assignments.of_patient(caller.user.id)
        profile_id = caller.user.therapist_profile_id
        as_therapist = uow.assignments.of_therapist(profile_id) if profile_id is not None else []
    return as_patient, as_therapist


def assignments_of_user(user_id: str, therapist_profile_id: str | None) -> list[Assignment]:
    """A user's assignments as a patient and as a therapist, newest first (the support console's lookup)."""
    with PracticeWork() as uow:
        found = uow.assignments.of_patient(user_id)
        if therapist_profile_id is not None:
            found += uow.assignments.of_therapist(therapist_profile_id)
    found.sort(key=lambda record: (record.requested_at, record.id), reverse=True)
    return [record.out() for record in found]


def connections(caller: Caller) -> list[Connection]:
    """Current and past therapists (as a patient) and patients (as a therapist); declined requests left out."""
    as_patient, as_therapist = _sides(caller)
    as_patient = [a for a in as_patient if a.status != "declined"]
    as_therapist = [a for a in as_therapist if a.status != "declined"]
    with PracticeWork() as uow:
        therapists = uow.therapists.get_many(a.therapist_id for a in as_patient)
    patients = {user.id: user for user in users.by_public_ids([a.patient_id for a in as_therapist])}
    found: list[Connection] = []
    for record in as_patient:
        therapist = therapists.get(record.therapist_id)
        found.append(Connection(assignment=record.out(), therapist=therapist.card() if therapist else None))
    for record in as_therapist:
        patient = patients.get(record.patient_id)
        card = PatientCard(id=record.patient_id, name=patient.name if patient is not None else "")
        found.append(Connection(assignment=record.out(), patient=card))
    return found


def me(caller: Caller) -> PracticeMe:
    as_patient, as_therapist = _sides(caller)
    profile = None
    profile_id = caller.user.therapist_profile_id
    if profile_id is not None:
        with PracticeWork() as uow:
            record = uow.therapists.get(profile_id)
        profile = record.profile() if record is not None else None
    active = [a.out() for a in [*as_patient, *as_therapist] if a.status == "active"]
    roles = practice_roles(
        therapist=profile_id is not None,
        practice_admin=caller.is_practice_admin,
        has_patient_side=bool(as_patient),
    )
    return PracticeMe(roles=roles, therapist_profile=profile, active_assignments=active)


# ---------------------------------------------------------------- erasure


def close_practice_of_deleted_user(user_id: str) -> int:
    """A deleted user's open assignments end (requests are declined) and their therapist profile, with its name
    and bio, is deleted; assignments keep ids only. Idempotent; returns how many assignments were closed."""
    with PracticeWork() as uow:
        profile = uow.therapists.of_user(user_id)
        mine = uow.assignments.of_patient(user_id)
        if profile:
            mine += uow.assignments.of_therapist(profile[0][0])
    closed = 0
    for record in mine:
        if record.status not in OPEN_STATUSES:
            continue
        transition: Transition = "end" if record.status == "active" else "decline"

        def work(uow: PracticeWork, assignment_id: str = record.id, step: Transition = transition) -> bool:
            current = uow.assignments.get(assignment_id)
            if current is None or next_status(current.status, step) is None:
                return False
            _apply(uow, current, step, user_id)
            return True

        closed += PracticeWork.run_in_transaction(work)
    if profile:
        with PracticeWork() as uow:
            uow.therapists.delete(profile[0][0])
    _log.info("practice of a deleted user closed", extra={"assignments": closed, "profile": bool(profile)})
    return closed
