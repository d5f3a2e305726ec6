"""Accounts: signup, profile changes, erasure, the super admin's user search and the Cypress test-data tools.

Signup creates the Firebase account first (its uid is the user document's id), then writes the user, and the
partner access when there is one, in one transaction. If anything fails after the account exists, the account
is deleted again, so a failed signup leaves neither an orphan account nor a half-written user.

Erasure deletes the Firebase account first, then the user document together with the USER_DELETED event
(outbox, same transaction); every area erases its own data in its subscriber. A retry after a partial failure
finds the document still there and finishes the job (an account that is already gone is fine).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from pydantic import ValidationError

from bloom.integrations import firebase_accounts
from bloom.models.base import utcnow
from bloom.models.partner import (
    PartnerAccessRecord,
    PartnerAdminRecord,
    PartnerRecord,
    partner_access_out,
    partner_admin_out,
)
from bloom.models.profile import (
    CYPRESS_EMAIL_PREFIX,
    AdminUpdateUser,
    CreateUser,
    CypressCount,
    DeletedUser,
    PartnerAccessCriteria,
    Profile,
    SearchCriteria,
    UpdateUser,
    UserOut,
    UserSearchResult,
    is_cypress_email,
    is_weak_password,
    user_out,
)
from bloom.models.user import UserRecord
from bloom.repositories.partner_access import PartnerAccessesRepository
from bloom.repositories.partners import PartnerAdminsRepository, PartnersRepository
from bloom.repositories.users import (
    UsersRepository,
    email_substring_filters,
    partner_admin_filter,
)
from bloom.services import partner_access
from bloom.services.profile import profile_of
from bloom.services.rate_limit import check_rate_limit
from bloom.store.batch import fetch_many
from bloom.store.repository import Repository
from bloom.store.transaction import UnitOfWork, run_in_transaction
from bloom.toolkit.errors import BadRequest, NotFound
from bloom.toolkit.logging import get_logger
from bloom.toolkit.validation import validation_messages
from bloom.topics import USER_DELETED, UserDeleted

USER_NOT_FOUND = "USER NOT FOUND"
SIGNUP_LIMIT, SIGNUP_WINDOW_S = 10, 60  # per client IP
SEARCH_PAGE, SEARCH_MAX_READ = 100, 1000  # a search reads at most this many user documents
CYPRESS_PAGE, CYPRESS_MAX_READ, CYPRESS_MAX_DELETE = 500, 10_000, 500
_log = get_logger(__name__)


def _users() -> UsersRepository:
    return UsersRepository()


# ---------------------------------------------------------------- signup


def sign_up(body: CreateUser, client_ip: str) -> Profile:
    """`POST user`: rate-limited per client IP (the key is hashed before it is stored)."""
    check_rate_limit(f"signup:{client_ip}", SIGNUP_LIMIT, SIGNUP_WINDOW_S)
    return register(body)


def register(body: CreateUser) -> Profile:
    """Create the Firebase account and the Bloom user (with a partner access when a code or partnerId is given)."""
    if is_weak_password(body.password):
        raise BadRequest(firebase_accounts.CREATE_USER_WEAK_PASSWORD)
    code = (body.partner_access_code or "").strip()
    partner_id = "" if code else (body.partner_id or "").strip()
    if code:
        # The same checks run again inside the transaction; this one spares creating an account for a bad code.
        partner_access.validate_code(code)
    now = utcnow()
    draft = UserRecord(
        id=str(uuid.uuid4()),
        email=body.email,
        name=body.name,
        created_at=now,
        updated_at=now,
        last_active_at=now,
        sign_up_language=body.sign_up_language,
        email_reminders_frequency=body.email_reminders_frequency,
        contact_permission=body.contact_permission,
        service_emails_permission=body.service_emails_permission,
        crisp_token_id=str(uuid.uuid4()),
    )
    auth_uid = firebase_accounts.create_account(body.email, body.password)
    try:
        user = run_in_transaction(lambda unit: _create_user(unit, auth_uid, draft, code, partner_id))
    except BaseException:
        _remove_account_of_failed_signup(auth_uid)
        raise
    _log.info(
        "user created",
        extra={"userId": user.id, "signupType": "code" if code else "automatic" if partner_id else "public"},
    )
    return profile_of(user)


def _create_user(unit: UnitOfWork, auth_uid: str, draft: UserRecord, code: str, partner_id: str) -> UserRecord:
    user = draft.model_copy(deep=True)  # a fresh copy for every attempt of the transaction
    access: PartnerAccessRecord | None = None
    if code:
        access = partner_access.redeem_code_in(unit, code, user)
    elif partner_id:
        access = partner_access.create_automatic_access_in(unit, partner_id, user)
    if access is not None:
        user.partner_access_ids = [access.id]
        user.partner_ids = [access.partner_id]
    _users().create(unit, auth_uid, user)  # no read after the partner functions' writes
    return user


def _remove_account_of_failed_signup(auth_uid: str) -> None:
    """Delete the account of a signup that failed, unless its user document was written after all."""
    try:
        if _users().get(auth_uid) is not None:
            return
    except Exception:  # Firestore unreachable: the transaction that just failed is taken not to have committed
        _log.warning("failed signup: could not check for a user document; removing the account")
    try:
        firebase_accounts.delete_account(auth_uid)
    except Exception:
        _log.exception("failed signup: the Firebase account could not be removed")


# ---------------------------------------------------------------- profile changes


def update_me(auth_uid: str, user: UserRecord, body: UpdateUser) -> UserOut:
    return _update(auth_uid, user, body.changes())


def admin_update(user_id: str, body: AdminUpdateUser) -> UserOut:
    found = _users().find_by_public_id(user_id)
    if found is None:
        raise NotFound(USER_NOT_FOUND)
    auth_uid, user = found
    return _update(auth_uid, user, body.changes())


def _update(auth_uid: str, current: UserRecord, changes: dict[str, Any]) -> UserOut:
    """Firebase first for an email change (so the login and the record never disagree for long), then the record."""
    email = changes.get("email")
    if email is not None and email != current.email:
        firebase_accounts.update_email(auth_uid, str(email))

    def work(unit: UnitOfWork) -> UserRecord:
        stored = _users().get(auth_uid, transaction=unit.transaction)
        if stored is None:
            raise NotFound(USER_NOT_FOUND)
        fields = {**changes, "updated_at": utcnow()}
        _users().update_fields(unit, auth_uid, fields)
        return stored.model_copy(update=fields)

    updated = run_in_transaction(work)
    _log.info("user updated", extra={"userId": updated.id, "fields": sorted(changes)})
    return user_out(updated)


def grant_super_admin(email: str) -> UserOut:
    """Set isSuperAdmin on an existing user (dev CLI, seed). They still need a verified email and MFA."""
    found = _users().find_by_email(email)
    if found is None:
        raise NotFound(USER_NOT_FOUND)
    auth_uid, user = found
    if user.is_super_admin:
        return user_out(user)
    return _update(auth_uid, user, {"is_super_admin": True})


# ---------------------------------------------------------------- erasure


def delete_me(auth_uid: str, user: UserRecord) -> DeletedUser:
    return erase(auth_uid, user.id)


def delete_by_id(user_id: str) -> DeletedUser:
    found = _users().find_by_public_id(user_id)
    if found is None:
        raise NotFound(USER_NOT_FOUND)
    return erase(found[0], user_id)


def erase(auth_uid: str, user_id: str) -> DeletedUser:
    """Firebase account, then the user document and USER_DELETED in one transaction. Idempotent."""
    account_existed = firebase_accounts.delete_account(auth_uid)

    def work(unit: UnitOfWork) -> bool:
        stored = _users().get(auth_uid, transaction=unit.transaction)
        if stored is None:
            return False
        _users().delete(unit, auth_uid)
        unit.emit(USER_DELETED, UserDeleted(user_id=stored.id, deleted_at=utcnow().isoformat()))
        return True

    document_existed = run_in_transaction(work)
    _log.info(
        "user deleted",
        extra={"userId": user_id, "accountDeleted": account_existed, "documentDeleted": document_existed},
    )
    return DeletedUser(id=user_id)


# ---------------------------------------------------------------- search (super admin)


def parse_criteria(raw: str | None) -> SearchCriteria:
    if raw is None or not raw.strip():
        return SearchCriteria()
    try:
        data = json.loads(raw)
    except ValueError:
        raise BadRequest(["searchCriteria must be valid JSON"]) from None
    if not isinstance(data, dict):
        raise BadRequest(["searchCriteria must be an object"])
    try:
        return SearchCriteria.model_validate(data)
    except ValidationError as exc:
        raise BadRequest(validation_messages(exc, "searchCriteria.")) from None


def search_users(raw_criteria: str | None) -> list[UserSearchResult]:
    """`GET user?searchCriteria=`: a bounded search (see `bloom.repositories.users` for how email search works).

    One query shape per request, each served by single-field indexes (so no composite index can be missing):
    - email (3+ characters): trigram equality filters on users; substring and partnerAdmin checked in Python;
    - else partnerAdmin: users with a partner-admin record (or that one record);
    - else partnerAccess: an equality query on partner accesses, then their users;
    - else all users in document order.
    Every path reads at most SEARCH_MAX_READ user documents; partnerAccess criteria are checked on the accesses.
    """
    criteria = parse_criteria(raw_criteria)
    needle = (criteria.email or "").strip().lower()
    admin_id = criteria.partner_admin.partner_admin_id if criteria.partner_admin is not None else None
    filters = email_substring_filters(needle)
    if not filters and admin_id is not None:
        filters = [partner_admin_filter(admin_id)]
    if criteria.partner_access is not None and not filters:
        pages: Any = [_users_with_accesses_like(criteria.partner_access)]
    else:
        pages = _users().scan(filters, page_size=SEARCH_PAGE, max_docs=SEARCH_MAX_READ)
    results: list[UserSearchResult] = []
    for page in pages:
        users = [user for _, user in page if _user_matches(user, needle, admin_id)]
        results.extend(_search_results(users, criteria))
        if len(results) >= criteria.limit:
            break
    return sorted(results[: criteria.limit], key=lambda result: result.user.email)


def _user_matches(user: UserRecord, needle: str, admin_id: str | None) -> bool:
    if user.deleted_at is not None or needle not in user.email.lower():
        return False
    if admin_id is None:
        return True
    admin = user.partner_admin
    return admin is not None and admin_id in ("IS NOT NULL", admin.id)


def _users_with_accesses_like(criteria: PartnerAccessCriteria) -> list[tuple[str, UserRecord]]:
    equals: dict[str, object] = {}
    if criteria.feature_therapy is not None:
        equals["featureTherapy"] = criteria.feature_therapy
    if criteria.active is not None:
        equals["active"] = criteria.active
    accesses = PartnerAccessesRepository().search(equals, SEARCH_MAX_READ)
    return _users().by_public_ids(access.user_id for access in accesses if access.user_id is not None)


def _access_matches(access: PartnerAccessRecord, criteria: PartnerAccessCriteria | None) -> bool:
    if criteria is None:
        return True
    return (criteria.feature_therapy is None or access.feature_therapy == criteria.feature_therapy) and (
        criteria.active is None or access.active == criteria.active
    )


def _search_results(users: list[UserRecord], criteria: SearchCriteria) -> list[UserSearchResult]:
    """Each user with their accesses and partner-admin record (as asked for), from one batched read."""
    accesses, admins, partners = PartnerAccessesRepository(), PartnerAdminsRepository(), PartnersRepository()
    refs: list[tuple[Repository[Any], str]] = []
    for user in users:
        if criteria.wants_accesses:
            refs.extend((accesses, access_id) for access_id in user.partner_access_ids)
            refs.extend((partners, partner_id) for partner_id in user.partner_ids)
        if criteria.wants_admin and user.partner_admin is not None:
            refs.extend([(admins, user.partner_admin.id), (partners, user.partner_admin.partner_id)])
    fetched = fetch_many(refs)

    def partner(partner_id: str) -> PartnerRecord | None:
        found = fetched.get((partners.collection_name, partner_id))
        return found if isinstance(found, PartnerRecord) else None

    results: list[UserSearchResult] = []
    for user in users:
        access_outs = []
        for access_id in user.partner_access_ids if criteria.wants_accesses else []:
            access = fetched.get((accesses.collection_name, access_id))
            if not isinstance(access, PartnerAccessRecord) or access.user_id != user.id:
                continue
            access_partner = partner(access.partner_id)
            if access_partner is not None and _access_matches(access, criteria.partner_access):
                access_outs.append(partner_access_out(access, access_partner))
        if criteria.partner_access is not None and not access_outs:
            continue
        admin_out = None
        if criteria.wants_admin and user.partner_admin is not None:
            admin = fetched.get((admins.collection_name, user.partner_admin.id))
            admin_partner = partner(user.partner_admin.partner_id)
            if isinstance(admin, PartnerAdminRecord) and admin.user_id == user.id and admin_partner is not None:
                admin_out = partner_admin_out(admin, admin_partner)
        results.append(UserSearchResult(user=user_out(user), partner_accesses=access_outs, partner_admin=admin_out))
    return results


# ---------------------------------------------------------------- Cypress test data (super admin)


def _cypress_users(max_read: int) -> list[tuple[str, UserRecord]]:
    pages = _users().with_email_prefix(CYPRESS_EMAIL_PREFIX, page_size=CYPRESS_PAGE, max_docs=max_read)
    return [(auth_uid, user) for page in pages for auth_uid, user in page if is_cypress_email(user.email)]


def count_cypress_users() -> CypressCount:
    return CypressCount(count=len(_cypress_users(CYPRESS_MAX_READ)))


def delete_cypress_users() -> list[DeletedUser]:
    """Erase Cypress test users (`cypresstestemail…@chayn.co`) like `DELETE user`; at most 500 per call."""
    doomed = _cypress_users(CYPRESS_MAX_READ)[:CYPRESS_MAX_DELETE]
    deleted = [erase(auth_uid, user.id) for auth_uid, user in doomed]
    _log.info("cypress users deleted", extra={"deleted": len(deleted)})
    return deleted
