"""The team's management of partner accesses: listing and searching them, changing one, and the Cypress
test-data cleanup."""

from __future__ import annotations

from typing import Any

from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.partners import errors
from bloom.partners.access_changes import change_access, emit_changed
from bloom.partners.codes import normalise_code
from bloom.partners.models import PartnerAccessRecord, PartnerRecord, partner_access_out
from bloom.partners.repository import PartnersWork
from bloom.partners.schemas import PartnerAccessOut, PartnerAccessQuery, UpdatePartnerAccess
from bloom.users import service as users

_log = get_logger(__name__)
CYPRESS_MAX_USERS = 5000  # test users read per cleanup call (bounded; call again for more)
DELETE_BATCH = 100
SEARCHABLE = (
    "partner_id",
    "active",
    "feature_live_chat",
    "feature_therapy",
    "therapy_sessions_remaining",
    "therapy_sessions_redeemed",
)


def list_accesses(query: PartnerAccessQuery) -> list[PartnerAccessOut]:
    equals: dict[str, object] = {name: getattr(query, name) for name in SEARCHABLE if getattr(query, name) is not None}
    if query.access_code is not None:
        equals["access_code"] = normalise_code(query.access_code)
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
        now = utcnow()
        updated = change_access(uow, access, **changes, updated_at=now)
        emit_changed(uow, access, access.user_id, now)
        return updated, partner

    access, partner = PartnersWork.run_in_transaction(work)
    return partner_access_out(access, partner)


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
