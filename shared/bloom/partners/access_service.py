"""Partner accesses: creating codes, checking and redeeming them, and what profiles and searches show of them.

Contract with the accounts area (signup, GET user/me, user search) and the users area (erasure):
- `redeem_code_in(uow, code, user)` and `create_automatic_access_in(uow, partner_id, user)` join the caller's
  transaction; they do all their reads first, then write the access. The caller adds the access id and
  partner id to the user record it writes (`user.partner_access_ids`, `user.partner_ids`).
- `profile_refs(uow, user)` names every document a user's partner view needs; `partner_views(...)` shapes them.
- `release_accesses_of(user_id)` runs when a user is erased (USER_DELETED).

Contract with the therapy area: a booking's charge and refund join the therapy ledger's transaction
(`charge_therapy_session_in`, `refund_therapy_session_in`); both read first and then write the access through
`PartnersWork.update_access`, like every other change to an access.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from bloom.core.errors import BadRequest
from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.partners import errors
from bloom.partners.codes import code_problem, generate_code, is_well_formed, normalise_code
from bloom.partners.events import (
    PARTNER_ACCESS_ACTIVATED,
    PARTNER_ACCESS_CHANGED,
    PARTNER_ACCESS_GRANTED,
    PartnerAccessActivated,
    PartnerAccessChanged,
    PartnerAccessGranted,
)
from bloom.partners.models import (
    AccessCodeClaim,
    PartnerAccessRecord,
    PartnerRecord,
    oldest_therapy_access,
    partner_access_out,
    therapy_sessions_problem,
)
from bloom.partners.repository import PartnersWork
from bloom.partners.schemas import (
    AUTOMATIC_ACCESS_CODE,
    CreatePartnerAccess,
    GrantedAccess,
    PartnerAccessOut,
    PartnerAccessQuery,
    TherapyCharge,
    UpdatePartnerAccess,
)
from bloom.platform.auth import FORBIDDEN
from bloom.platform.store.repository import Repository
from bloom.platform.store.unit_of_work import DuplicateDocument, Fetched, UnitOfWork
from bloom.users import service as users
from bloom.users.schemas import PartnerAdminSummary, UserRecord

_log = get_logger(__name__)
CODE_DRAWS_PER_ATTEMPT = 5  # fresh codes tried inside one transaction before giving up on it
CREATE_ATTEMPTS = 3  # transactions tried when a code was claimed concurrently
CYPRESS_MAX_USERS = 5000  # test users read per cleanup call (bounded; call again for more)
DELETE_BATCH = 100


# ---------------------------------------------------------------- events (recorded with the change)


def emit_granted(uow: UnitOfWork, access: PartnerAccessRecord) -> None:
    granted = PartnerAccessGranted(
        access_id=access.id, partner_id=access.partner_id, created_at=access.created_at.isoformat()
    )
    uow.emit(PARTNER_ACCESS_GRANTED, granted)


def emit_activated(uow: UnitOfWork, access: PartnerAccessRecord, user_id: str, when: datetime) -> None:
    activated = PartnerAccessActivated(
        access_id=access.id, partner_id=access.partner_id, user_id=user_id, activated_at=when.isoformat()
    )
    uow.emit(PARTNER_ACCESS_ACTIVATED, activated)


def emit_changed(uow: UnitOfWork, access: PartnerAccessRecord, user_id: str | None, when: datetime) -> None:
    changed = PartnerAccessChanged(
        access_id=access.id, partner_id=access.partner_id, user_id=user_id, changed_at=when.isoformat()
    )
    uow.emit(PARTNER_ACCESS_CHANGED, changed)


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
    fields = {"userId": user.id, "holderUid": auth_uid, "activatedAt": now, "updatedAt": now}
    uow.update_access(access, fields, project=False)
    emit_activated(uow, access, user.id, now)
    redeemed = access.model_copy(
        update={"user_id": user.id, "holder_uid": auth_uid, "activated_at": now, "updated_at": now}
    )
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


# ---------------------------------------------------------------- therapy sessions (the therapy area's ledger)


def charge_therapy_session_in(uow: UnitOfWork, user_id: str) -> TherapyCharge | None:
    """Charge one therapy session to the user's oldest eligible access (active, therapy on, sessions left), in the
    caller's transaction: `remaining - 1`, `redeemed + 1`. None (and nothing written) when no access is eligible.

    Reads the user's accesses first, then writes: the caller must not read after calling this."""
    work = PartnersWork.join(uow)
    access = oldest_therapy_access(work.accesses.assigned_to(user_id))
    if access is None:
        return None
    now = utcnow()
    work.update_access(
        access,
        {
            "therapySessionsRemaining": access.therapy_sessions_remaining - 1,
            "therapySessionsRedeemed": access.therapy_sessions_redeemed + 1,
            "updatedAt": now,
        },
    )
    emit_changed(work, access, access.user_id, now)
    return TherapyCharge(access_id=access.id, partner_id=access.partner_id)


def therapy_access_ref(uow: UnitOfWork, access_id: str) -> tuple[Repository[Any], str]:
    """The document `refund_therapy_session_in` reads, for a caller that batches it with its own reads."""
    return (PartnersWork.join(uow).accesses, access_id)


def refund_therapy_session_in(uow: UnitOfWork, access_id: str, fetched: Fetched | None = None) -> bool:
    """Give back one therapy session to the access a booking charged, in the caller's transaction: `remaining + 1`,
    `redeemed - 1` (never below 0). Reads the access (or takes it from `fetched`, read with `therapy_access_ref`)
    and then writes it. False when the access no longer exists."""
    work = PartnersWork.join(uow)
    access = fetched.get(work.accesses, access_id) if fetched is not None else work.accesses.get(access_id)
    if access is None:
        _log.warning("therapy refund for an access that no longer exists", extra={"partner_access_id": access_id})
        return False
    now = utcnow()
    work.update_access(
        access,
        {
            "therapySessionsRemaining": access.therapy_sessions_remaining + 1,
            "therapySessionsRedeemed": max(access.therapy_sessions_redeemed - 1, 0),
            "updatedAt": now,
        },
    )
    emit_changed(work, access, access.user_id, now)
    return True


def accesses_by_ids(access_ids: list[str]) -> dict[str, PartnerAccessOut]:
    """Accesses (with their partner) by id, for listings; unknown ids are absent."""
    with PartnersWork() as uow:
        accesses = uow.accesses.get_many(access_ids)
        partners = uow.partners.get_many({a.partner_id for a in accesses.values()})
    return {
        access_id: partner_access_out(access, partners[access.partner_id])
        for access_id, access in accesses.items()
        if access.partner_id in partners
    }


# ---------------------------------------------------------------- reporting's backfill


def access_events_page(
    after: str | None, limit: int
) -> tuple[list[PartnerAccessGranted | PartnerAccessActivated], str | None]:
    """The grant and activation events as recorded, rebuilt from stored accesses (reporting's backfill), a page
    at a time in document order; the second value is where the next page starts (None: done). A released
    access keeps its activation (its holder was erased: the id is gone, the activation happened)."""
    with PartnersWork() as uow:
        rows = uow.accesses.page(after, limit)
    events: list[PartnerAccessGranted | PartnerAccessActivated] = []
    for _, access in rows:
        events.append(
            PartnerAccessGranted(
                access_id=access.id, partner_id=access.partner_id, created_at=access.created_at.isoformat()
            )
        )
        if access.activated_at is not None:
            events.append(
                PartnerAccessActivated(
                    access_id=access.id,
                    partner_id=access.partner_id,
                    user_id=access.user_id or "",
                    activated_at=access.activated_at.isoformat(),
                )
            )
    return events, (rows[-1][0] if len(rows) == limit else None)


# ---------------------------------------------------------------- managing accesses


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


def list_accesses(query: PartnerAccessQuery) -> list[PartnerAccessOut]:
    equals: dict[str, object] = {}
    if query.partner_id is not None:
        equals["partnerId"] = query.partner_id
    if query.access_code is not None:
        equals["accessCode"] = normalise_code(query.access_code)
    for name in ("active", "feature_live_chat", "feature_therapy"):
        value = getattr(query, name)
        if value is not None:
            equals[PartnerAccessRecord.model_fields[name].alias or name] = value
    if query.therapy_sessions_remaining is not None:
        equals["therapySessionsRemaining"] = query.therapy_sessions_remaining
    if query.therapy_sessions_redeemed is not None:
        equals["therapySessionsRedeemed"] = query.therapy_sessions_redeemed
    with PartnersWork() as uow:
        accesses = uow.accesses.search(equals, query.limit)
        partners = uow.partners.get_many(a.partner_id for a in accesses)
    return [partner_access_out(a, partners[a.partner_id]) for a in accesses if a.partner_id in partners]


def update_access(access_id: str, body: UpdatePartnerAccess) -> PartnerAccessOut:
    """A super admin changes an access's therapy counters or features (counters change only in transactions).

    The partner's cap bounds only what a partner admin grants: the team tops sessions up past it (0-50)."""

    def work(uow: PartnersWork) -> tuple[PartnerAccessRecord, PartnerRecord]:
        access = uow.accesses.get(access_id)
        partner = uow.partners.get(access.partner_id) if access is not None else None
        if access is None or partner is None:
            raise errors.PARTNER_ACCESS_NOT_FOUND.error()
        changes: dict[str, Any] = {"therapy_sessions_remaining": body.therapy_sessions_remaining}
        for name in ("therapy_sessions_redeemed", "feature_live_chat", "feature_therapy", "active"):
            value = getattr(body, name)
            if value is not None:
                changes[name] = value
        if body.active is not None:
            changes["deactivated_with_partner"] = False  # an explicit choice outlives the partner's reactivation
        changes["updated_at"] = utcnow()
        updated = access.model_copy(update=changes)
        uow.update_access(
            access, {PartnerAccessRecord.model_fields[name].alias or name: value for name, value in changes.items()}
        )
        emit_changed(uow, access, access.user_id, changes["updated_at"])
        return updated, partner

    access, partner = PartnersWork.run_in_transaction(work)
    return partner_access_out(access, partner)


def release_accesses_of(user_id: str) -> int:
    """A user was erased: unassign their accesses but keep the records (the partner's counts need them).

    A released access stays redeemed (`releasedAt`), so its code can never be used again. Idempotent.
    """

    def work(uow: PartnersWork) -> int:
        accesses = uow.accesses.assigned_to(user_id)
        now = utcnow()
        for access in accesses:
            fields = {"userId": None, "holderUid": None, "releasedAt": now, "updatedAt": now}
            uow.update_access(access, fields, project=False)  # the holder's document is gone
            emit_changed(uow, access, None, now)
        return len(accesses)

    return PartnersWork.run_in_transaction(work)


def delete_cypress_accesses() -> int:
    """Super-admin test-data tool: delete the partner accesses Cypress test runs created.

    Deleted: accesses assigned to a Cypress test user (email `cypresstestemail…@chayn.co`), and accesses never
    assigned to anyone that a Cypress test user created as partner admin. Their code claims go with them and
    the access ids are removed from the test users' documents. Each batch re-reads its accesses inside its
    transaction and deletes only those that still match. Returns how many accesses were deleted.
    """
    test_users = {user.id: auth_uid for auth_uid, user in users.cypress_test_users(CYPRESS_MAX_USERS)}
    if not test_users:
        return 0
    with PartnersWork() as uow:
        test_admin_ids = {admin.id for admin in uow.admins.for_users(test_users)}
        candidates = [a.id for a in uow.accesses.assigned_to_any(test_users)]
        candidates += [a.id for a in uow.accesses.unassigned_created_by(test_admin_ids)]
    candidate_ids = list(dict.fromkeys(candidates))

    def matches(access: PartnerAccessRecord) -> bool:
        if access.user_id is not None:
            return access.user_id in test_users
        return access.released_at is None and access.partner_admin_id in test_admin_ids

    deleted = 0
    for start in range(0, len(candidate_ids), DELETE_BATCH):
        batch = candidate_ids[start : start + DELETE_BATCH]

        def work(uow: PartnersWork, batch: list[str] = batch) -> int:
            doomed = [access for access in uow.accesses.get_many(batch).values() if matches(access)]
            by_user: dict[str, list[str]] = {}
            now = utcnow()
            for access in doomed:
                uow.accesses.delete(access.id)
                emit_changed(uow, access, None, now)
                if access.access_code:
                    uow.codes.delete(access.access_code)
                if access.user_id is not None:
                    by_user.setdefault(test_users[access.user_id], []).append(access.id)
            for auth_uid, access_ids in by_user.items():
                users.remove_partner_accesses_in(uow, auth_uid, access_ids)
            return len(doomed)

        deleted += PartnersWork.run_in_transaction(work)
    _log.info("cypress partner accesses deleted", extra={"deleted": deleted})
    return deleted
