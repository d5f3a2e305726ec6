"""Partner accesses: creating codes, checking and redeeming them, and what a user's profile shows of them.

Contract with the accounts area (signup, GET user/me, user deletion):
- `redeem_code_in(unit, code, user)` and `create_automatic_access_in(unit, partner_id, user)` run inside the
  caller's transaction; they do all their reads first, then write the access. The caller adds the access id
  and partner id to the user record it writes (`user.partner_access_ids`, `user.partner_ids`).
- `profile_refs(user)` names every document the profile needs; `profile_parts(user, fetched)` shapes them.
- `release_accesses_of(user_id)` runs when a user is erased (USER_DELETED).
"""

from __future__ import annotations

import uuid
from typing import Any

from bloom.core.errors import BadRequest, Conflict, Forbidden, NotFound
from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.partners.codes import CodeProblem, code_problem, generate_code, is_well_formed, normalise_code
from bloom.partners.models import (
    INVALID_PARTNER_ID,
    NO_AUTOMATIC_ACCESS_FEATURE,
    PARTNER_ACCESS_NOT_FOUND,
    PARTNER_NOT_ACTIVE,
    AccessCodeClaim,
    PartnerAccessRecord,
    PartnerAdminRecord,
    PartnerRecord,
    partner_access_out,
    partner_admin_out,
    therapy_sessions_problem,
)
from bloom.partners.repository import (
    AccessCodesRepository,
    PartnerAccessesRepository,
    PartnerAdminsRepository,
    PartnersRepository,
    UserLinks,
    is_valid_doc_id,
)
from bloom.partners.schemas import (
    AUTOMATIC_ACCESS_CODE,
    CreatePartnerAccess,
    PartnerAccessOut,
    PartnerAccessQuery,
    PartnerAdminOut,
    UpdatePartnerAccess,
)
from bloom.platform.store.batch import fetch_many
from bloom.platform.store.repository import Repository
from bloom.platform.store.unit_of_work import DuplicateDocument, UnitOfWork, run_in_transaction
from bloom.users.schemas import PartnerAdminSummary, UserRecord

_log = get_logger(__name__)
CODE_DRAWS_PER_ATTEMPT = 5  # fresh codes tried inside one transaction before giving up on it
CREATE_ATTEMPTS = 3  # transactions tried when a code was claimed concurrently
CYPRESS_EMAIL_PREFIX = "cypresstestemail"
CYPRESS_EMAIL_DOMAIN = "@chayn.co"
CYPRESS_MAX_USERS = 5000  # test users read per cleanup call (bounded; call again for more)
DELETE_BATCH = 100


def _accesses() -> PartnerAccessesRepository:
    return PartnerAccessesRepository()


def _codes() -> AccessCodesRepository:
    return AccessCodesRepository()


def _partners() -> PartnersRepository:
    return PartnersRepository()


def raise_for(problem: CodeProblem) -> None:
    if problem.status_code == 409:
        raise Conflict(problem.value)
    raise BadRequest(problem.value)


def _look_up(code: str, unit: UnitOfWork | None) -> tuple[PartnerAccessRecord | None, PartnerRecord | None]:
    """The access a normalised code belongs to and its partner: two round trips (claim, then both at once)."""
    if not is_well_formed(code):
        return None, None
    transaction = unit.transaction if unit is not None else None
    claim = _codes().get(code, transaction=transaction)
    if claim is None:
        return None, None
    return _codes().access_and_partner(claim, transaction=transaction)


def _checked(
    raw_code: str, caller_user_id: str | None, unit: UnitOfWork | None
) -> tuple[PartnerAccessRecord, PartnerRecord]:
    """Run the six checks in the contract's order; raise the first failure."""
    code = normalise_code(raw_code)
    access, partner = _look_up(code, unit)
    facts = access.code_facts(partner) if access is not None else None
    problem = code_problem(code, facts, caller_user_id, utcnow())
    if problem is not None:
        raise_for(problem)
    assert access is not None and partner is not None  # no problem means both were found
    return access, partner


def _redeem_in(unit: UnitOfWork, code: str, user: UserRecord) -> tuple[PartnerAccessRecord, PartnerRecord]:
    access, partner = _checked(code, user.id, unit)
    now = utcnow()
    unit.update(_accesses().ref(access.id), {"userId": user.id, "activatedAt": now, "updatedAt": now})
    redeemed = access.model_copy(update={"user_id": user.id, "activated_at": now, "updated_at": now})
    return redeemed, partner


def redeem_code_in(unit: UnitOfWork, code: str, user: UserRecord) -> PartnerAccessRecord:
    """Check a code (case-insensitive) for `user` and assign it, setting activatedAt; inside the caller's transaction.

    Raises BadRequest/Conflict with the contract's messages. The caller adds the access id and partner id to
    the user record it writes, and must not read after calling this (Firestore: reads before writes).
    """
    return _redeem_in(unit, code, user)[0]


def create_automatic_access_in(unit: UnitOfWork, partner_id: str, user: UserRecord) -> PartnerAccessRecord:
    """Create an access for a partner with the AUTOMATIC_ACCESS_CODE feature; inside the caller's transaction."""
    partner = _partners().get(partner_id, transaction=unit.transaction) if is_valid_doc_id(partner_id) else None
    if partner is None:
        raise BadRequest(INVALID_PARTNER_ID)
    if not partner.is_active:
        raise BadRequest(PARTNER_NOT_ACTIVE)
    if partner.active_feature(AUTOMATIC_ACCESS_CODE) is None:
        raise BadRequest(NO_AUTOMATIC_ACCESS_FEATURE)
    now = utcnow()
    access = PartnerAccessRecord(
        id=str(uuid.uuid4()),
        partner_id=partner.id,
        user_id=user.id,
        access_code=None,
        feature_live_chat=True,
        feature_therapy=False,
        therapy_sessions_remaining=0,
        therapy_sessions_redeemed=0,
        activated_at=now,
        created_at=now,
        updated_at=now,
    )
    unit.create(_accesses().ref(access.id), _accesses().to_doc(access))
    return access


def profile_refs(user: UserRecord) -> list[tuple[Repository[Any], str]]:
    """Every document the profile's partner parts need, for the one batched read of GET user/me."""
    accesses, partners = _accesses(), _partners()
    refs: list[tuple[Repository[Any], str]] = [(accesses, access_id) for access_id in user.partner_access_ids]
    refs.extend((partners, partner_id) for partner_id in user.partner_ids)
    if user.partner_admin is not None:
        refs.append((PartnerAdminsRepository(), user.partner_admin.id))
        refs.append((partners, user.partner_admin.partner_id))
    return refs


def profile_parts(
    user: UserRecord, fetched: dict[tuple[str, str], Any]
) -> tuple[list[PartnerAccessOut], PartnerAdminOut | None]:
    """The user's ACTIVE accesses (each with its partner and features) and their partner admin record if active."""
    partners = _partners().collection_name

    def partner_of(partner_id: str) -> PartnerRecord | None:
        found = fetched.get((partners, partner_id))
        return found if isinstance(found, PartnerRecord) else None

    accesses: list[PartnerAccessOut] = []
    for access_id in user.partner_access_ids:
        access = fetched.get((_accesses().collection_name, access_id))
        if not isinstance(access, PartnerAccessRecord) or not access.active or access.user_id != user.id:
            continue
        partner = partner_of(access.partner_id)
        if partner is not None:
            accesses.append(partner_access_out(access, partner))
    admin_out: PartnerAdminOut | None = None
    if user.partner_admin is not None:
        admin = fetched.get((PartnerAdminsRepository.collection_name, user.partner_admin.id))
        partner = partner_of(user.partner_admin.partner_id)
        if isinstance(admin, PartnerAdminRecord) and admin.active and admin.user_id == user.id and partner is not None:
            admin_out = partner_admin_out(admin, partner)
    return accesses, admin_out


def create_access(summary: PartnerAdminSummary, body: CreatePartnerAccess) -> PartnerAccessOut:
    """A partner admin creates an access with a fresh code for their own partner."""

    def work(unit: UnitOfWork) -> tuple[PartnerAccessRecord, PartnerRecord]:
        admins, partners = PartnerAdminsRepository(), _partners()
        fetched = fetch_many([(partners, summary.partner_id), (admins, summary.id)], transaction=unit.transaction)
        partner = fetched.get((partners.collection_name, summary.partner_id))
        admin = fetched.get((admins.collection_name, summary.id))
        if not isinstance(partner, PartnerRecord) or not isinstance(admin, PartnerAdminRecord):
            raise Forbidden()
        if not (partner.is_active and admin.active and admin.partner_id == partner.id):
            raise Forbidden()
        problem = therapy_sessions_problem(body.therapy_sessions_remaining, partner.therapy_sessions_cap)
        if problem is not None:
            raise BadRequest([problem])
        code = _free_code(unit)
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
        claim = AccessCodeClaim(partner_access_id=access.id, partner_id=partner.id, created_at=now)
        unit.create(_codes().ref(code), _codes().to_doc(claim))
        unit.create(_accesses().ref(access.id), _accesses().to_doc(access))
        return access, partner

    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            access, partner = run_in_transaction(work)
        except DuplicateDocument:
            if attempt == CREATE_ATTEMPTS:
                raise
            _log.warning("access code claimed concurrently; retrying with a new code", extra={"attempt": attempt})
            continue
        return partner_access_out(access, partner)
    raise AssertionError("unreachable")


def _free_code(unit: UnitOfWork) -> str:
    """A code whose claim document does not exist yet (read in the transaction, so a concurrent claim aborts it)."""
    for _ in range(CODE_DRAWS_PER_ATTEMPT):
        candidate = generate_code()
        if _codes().get(candidate, transaction=unit.transaction) is None:
            return candidate
    raise RuntimeError("no free access code found")


def validate_code(raw_code: str) -> PartnerAccessOut:
    """Public check of a code before signup: any assigned code is in use (nobody is signed in)."""
    access, partner = _checked(raw_code, None, None)
    return partner_access_out(access, partner)


def assign_code(auth_uid: str, user: UserRecord, raw_code: str) -> PartnerAccessOut:
    """A signed-in user redeems a code: the access is theirs from now (activatedAt), linked on their user doc."""

    def work(unit: UnitOfWork) -> tuple[PartnerAccessRecord, PartnerRecord]:
        access, partner = _redeem_in(unit, raw_code, user)
        UserLinks().add_access(unit, auth_uid, access.id, partner.id)
        return access, partner

    access, partner = run_in_transaction(work)
    return partner_access_out(access, partner)


def list_accesses(query: PartnerAccessQuery) -> list[PartnerAccessOut]:
    equals: dict[str, object] = {}
    if query.partner_id is not None:
        equals["partnerId"] = query.partner_id
    if query.access_code is not None:
        equals["accessCode"] = normalise_code(query.access_code)
    for field in ("active", "feature_live_chat", "feature_therapy"):
        value = getattr(query, field)
        if value is not None:
            equals[PartnerAccessRecord.model_fields[field].alias or field] = value
    if query.therapy_sessions_remaining is not None:
        equals["therapySessionsRemaining"] = query.therapy_sessions_remaining
    if query.therapy_sessions_redeemed is not None:
        equals["therapySessionsRedeemed"] = query.therapy_sessions_redeemed
    accesses = _accesses().search(equals, query.limit)
    partners = _partners().get_many(a.partner_id for a in accesses)
    return [partner_access_out(a, partners[a.partner_id]) for a in accesses if a.partner_id in partners]


def update_access(access_id: str, body: UpdatePartnerAccess) -> PartnerAccessOut:
    """A super admin changes an access's therapy counters or features (counters change only in transactions)."""

    def work(unit: UnitOfWork) -> tuple[PartnerAccessRecord, PartnerRecord]:
        access = _accesses().get(access_id, transaction=unit.transaction)
        if access is None:
            raise NotFound(PARTNER_ACCESS_NOT_FOUND)
        partner = _partners().get(access.partner_id, transaction=unit.transaction)
        if partner is None:
            raise NotFound(PARTNER_ACCESS_NOT_FOUND)
        problem = therapy_sessions_problem(body.therapy_sessions_remaining, partner.therapy_sessions_cap)
        if problem is not None:
            raise BadRequest([problem])
        changes: dict[str, Any] = {"therapy_sessions_remaining": body.therapy_sessions_remaining}
        for field in ("therapy_sessions_redeemed", "feature_live_chat", "feature_therapy", "active"):
            value = getattr(body, field)
            if value is not None:
                changes[field] = value
        if body.active is not None:
            changes["deactivated_with_partner"] = False  # an explicit choice outlives the partner's reactivation
        changes["updated_at"] = utcnow()
        updated = access.model_copy(update=changes)
        fields = {PartnerAccessRecord.model_fields[name].alias or name: value for name, value in changes.items()}
        unit.update(_accesses().ref(access.id), fields)
        return updated, partner

    access, partner = run_in_transaction(work)
    return partner_access_out(access, partner)


def release_accesses_of(user_id: str) -> int:
    """A user was erased: unassign their accesses but keep the records (the partner's counts need them).

    A released access stays redeemed (`releasedAt`), so its code can never be used again. Idempotent.
    """

    def work(unit: UnitOfWork) -> int:
        accesses = _accesses().assigned_to(user_id, transaction=unit.transaction)
        now = utcnow()
        for access in accesses:
            unit.update(_accesses().ref(access.id), {"userId": None, "releasedAt": now, "updatedAt": now})
        return len(accesses)

    return run_in_transaction(work)


def is_cypress_email(email: str) -> bool:
    """The Cypress suite's test accounts: `cypresstestemail…@chayn.co` (the same rule as `DELETE user/cypress`)."""
    lowered = email.lower()
    return lowered.startswith(CYPRESS_EMAIL_PREFIX) and lowered.endswith(CYPRESS_EMAIL_DOMAIN)


def delete_cypress_accesses() -> int:
    """Super-admin test-data tool: delete the partner accesses Cypress test runs created.

    Deleted: accesses assigned to a Cypress test user (email `cypresstestemail…@chayn.co`), and accesses never
    assigned to anyone that a Cypress test user created as partner admin. Their code claims go with them and
    the access ids are removed from the test users' documents. Each batch re-reads its accesses inside its
    transaction and deletes only those that still match. Returns how many accesses were deleted.
    """
    links = UserLinks()
    test_users = {
        user.id: doc_id
        for doc_id, user in links.by_email_prefix(CYPRESS_EMAIL_PREFIX, CYPRESS_MAX_USERS)
        if is_cypress_email(user.email)
    }
    if not test_users:
        return 0
    test_admin_ids = {admin.id for admin in PartnerAdminsRepository().for_users(test_users)}
    candidates = [a.id for a in _accesses().assigned_to_any(test_users)]
    candidates += [a.id for a in _accesses().unassigned_created_by(test_admin_ids)]
    candidate_ids = list(dict.fromkeys(candidates))

    def matches(access: PartnerAccessRecord) -> bool:
        if access.user_id is not None:
            return access.user_id in test_users
        return access.released_at is None and access.partner_admin_id in test_admin_ids

    deleted = 0
    for start in range(0, len(candidate_ids), DELETE_BATCH):
        batch = candidate_ids[start : start + DELETE_BATCH]

        def work(unit: UnitOfWork, batch: list[str] = batch) -> int:
            current = _accesses().get_many(batch, transaction=unit.transaction)
            doomed = [access for access in current.values() if matches(access)]
            by_user: dict[str, list[str]] = {}
            for access in doomed:
                unit.delete(_accesses().ref(access.id))
                if access.access_code:
                    unit.delete(_codes().ref(access.access_code))
                if access.user_id is not None:
                    by_user.setdefault(test_users[access.user_id], []).append(access.id)
            for doc_id, access_ids in by_user.items():
                links.remove_accesses(unit, doc_id, access_ids)
            return len(doomed)

        deleted += run_in_transaction(work)
    _log.info("cypress partner accesses deleted", extra={"deleted": deleted})
    return deleted
