"""Access codes: a partner admin creates one, anyone checks one before signup, a user redeems one.

Contract with the accounts area (signup): `redeem_code_in(uow, code, user)` and
`create_automatic_access_in(uow, partner_id, user)` join the caller's transaction; they do all their reads first,
then write the access. The caller adds the access id and partner id to the user record it writes
(`user.partner_access_ids`, `user.partner_ids`).
"""

from __future__ import annotations

import uuid

from bloom.core.errors import BadRequest
from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.partners import errors
from bloom.partners.access_changes import emit_activated, emit_granted
from bloom.partners.codes import code_problem, generate_code, is_well_formed, normalise_code
from bloom.partners.models import (
    AccessCodeClaim,
    PartnerAccessRecord,
    PartnerRecord,
    partner_access_out,
    therapy_sessions_problem,
)
from bloom.partners.repository import PartnersWork
from bloom.partners.schemas import AUTOMATIC_ACCESS_CODE, CreatePartnerAccess, GrantedAccess, PartnerAccessOut
from bloom.platform.auth import FORBIDDEN
from bloom.platform.store.unit_of_work import DuplicateDocument, UnitOfWork
from bloom.users import service as users
from bloom.users.schemas import PartnerAdminSummary, UserRecord

_log = get_logger(__name__)
CODE_DRAWS_PER_ATTEMPT = 5  # fresh codes tried inside one transaction before giving up on it
CREATE_ATTEMPTS = 3  # transactions tried when a code was claimed concurrently


# ---------------------------------------------------------------- checking and redeeming codes


def _look_up(uow: PartnersWork, code: str) -> tuple[PartnerAccessRecord | None, PartnerRecord | None]:
    """The access a normalised code belongs to and its partner: one read (the claim keeps a copy of both)."""
    if not is_well_formed(code):
        return None, None
    claim = uow.codes.get(code)
    if claim is None:
        return None, None
    return claim.access, claim.partner


def _checked(uow: PartnersWork, raw_code: str, caller_user_id: str | None) -> tuple[PartnerAccessRecord, PartnerRecord]:
    """Run the six checks in the contract's order; raise the first failure."""
    code = normalise_code(raw_code)
    access, partner = _look_up(uow, code)
    facts = access.code_facts(partner) if access is not None else None
    problem = code_problem(code, facts, caller_user_id, utcnow())
    if problem is not None:
        raise errors.CODE_PROBLEMS[problem].error()
    assert access is not None and partner is not None  # no problem means both were found
    return access, partner


def _redeem_in(
    uow: PartnersWork, code: str, user: UserRecord, auth_uid: str
) -> tuple[PartnerAccessRecord, PartnerRecord]:
    """Assign the access to the user; the caller puts the access into the user's profile projection."""
    access, partner = _checked(uow, code, user.id)
    now = utcnow()
    redeemed = uow.update_access(access, user_id=user.id, holder_uid=auth_uid, activated_at=now, updated_at=now)
    emit_activated(uow, access, user.id, now)
    return redeemed, partner


def validate_code(raw_code: str) -> PartnerAccessOut:
    """Public check of a code before signup: any assigned code is in use (nobody is signed in)."""
    with PartnersWork() as uow:
        access, partner = _checked(uow, raw_code, None)
    return partner_access_out(access, partner)


def redeem_code_in(uow: UnitOfWork, code: str, user: UserRecord, auth_uid: str) -> GrantedAccess:
    """Check a code (case-insensitive) for `user` and assign it, setting activatedAt; inside the caller's transaction.

    Raises the contract's errors. The caller adds the access (ids and copy) to the user record it creates,
    and must not read after calling this (Firestore: reads before writes).
    """
    work = PartnersWork.join(uow)
    access, _ = _redeem_in(work, code, user, auth_uid)
    return GrantedAccess(access_id=access.id, partner_id=access.partner_id, copy=work.accesses.to_doc(access))


def create_automatic_access_in(uow: UnitOfWork, partner_id: str, user: UserRecord, auth_uid: str) -> GrantedAccess:
    """Create an access for a partner with the AUTOMATIC_ACCESS_CODE feature; inside the caller's transaction."""
    work = PartnersWork.join(uow)
    partner = work.partners.get(partner_id)
    if partner is None:
        raise errors.INVALID_PARTNER_ID.error()
    if not partner.is_active:
        raise errors.PARTNER_NOT_ACTIVE.error()
    if partner.active_feature(AUTOMATIC_ACCESS_CODE) is None:
        raise errors.NO_AUTOMATIC_ACCESS_FEATURE.error()
    now = utcnow()
    access = PartnerAccessRecord(
        id=str(uuid.uuid4()),
        partner_id=partner.id,
        user_id=user.id,
        holder_uid=auth_uid,
        access_code=None,
        feature_live_chat=True,
        feature_therapy=False,
        therapy_sessions_remaining=0,
        therapy_sessions_redeemed=0,
        activated_at=now,
        created_at=now,
        updated_at=now,
    )
    work.accesses.create(access.id, access)
    emit_granted(work, access)
    emit_activated(work, access, user.id, now)
    return GrantedAccess(access_id=access.id, partner_id=partner.id, copy=work.accesses.to_doc(access))


def assign_code(auth_uid: str, user: UserRecord, raw_code: str) -> PartnerAccessOut:
    """A signed-in user redeems a code: the access is theirs from now (activatedAt), linked on their user doc."""

    def work(uow: PartnersWork) -> tuple[PartnerAccessRecord, PartnerRecord]:
        access, partner = _redeem_in(uow, raw_code, user, auth_uid)
        users.add_partner_access_in(uow, auth_uid, access.id, partner.id, uow.accesses.to_doc(access))
        return access, partner

    access, partner = PartnersWork.run_in_transaction(work)
    return partner_access_out(access, partner)


# ---------------------------------------------------------------- creating codes


def create_access(summary: PartnerAdminSummary, body: CreatePartnerAccess) -> PartnerAccessOut:
    """A partner admin creates an access with a fresh code for their own partner."""

    def work(uow: PartnersWork) -> tuple[PartnerAccessRecord, PartnerRecord]:
        fetched = uow.fetch([(uow.partners, summary.partner_id), (uow.admins, summary.id)])
        partner = fetched.get(uow.partners, summary.partner_id)
        admin = fetched.get(uow.admins, summary.id)
        if partner is None or admin is None:
            raise FORBIDDEN.error()
        if not (partner.is_active and admin.active and admin.partner_id == partner.id):
            raise FORBIDDEN.error()
        problem = therapy_sessions_problem(body.therapy_sessions_remaining, partner.therapy_sessions_cap)
        if problem is not None:
            raise BadRequest([problem])
        code = _free_code(uow)
        now = utcnow()
        access = PartnerAccessRecord(
            id=str(uuid.uuid4()),
            partner_id=partner.id,
            partner_admin_id=admin.id,
            access_code=code,
            feature_live_chat=body.feature_live_chat,
            feature_therapy=body.feature_therapy,
            therapy_sessions_remaining=body.therapy_sessions_remaining,
            therapy_sessions_redeemed=0,
            created_at=now,
            updated_at=now,
        )
        claim = AccessCodeClaim(
            partner_access_id=access.id, partner_id=partner.id, created_at=now, access=access, partner=partner
        )
        uow.codes.create(code, claim)
        uow.accesses.create(access.id, access)
        emit_granted(uow, access)
        return access, partner

    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            access, partner = PartnersWork.run_in_transaction(work)
        except DuplicateDocument:
            if attempt == CREATE_ATTEMPTS:
                raise
            _log.warning("access code claimed concurrently; retrying with a new code", extra={"attempt": attempt})
            continue
        return partner_access_out(access, partner)
    raise AssertionError("unreachable")


def _free_code(uow: PartnersWork) -> str:
    """A code whose claim document does not exist yet (read in the transaction, so a concurrent claim aborts it)."""
    for _ in range(CODE_DRAWS_PER_ATTEMPT):
        candidate = generate_code()
        if uow.codes.get(candidate) is None:
            return candidate
    raise RuntimeError("no free access code found")
