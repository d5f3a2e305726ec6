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
import secrets
import uuid
from typing import Any

from pydantic import ValidationError

from bloom.accounts.models import CYPRESS_EMAIL_PREFIX, is_cypress_email, is_new_active_day, is_weak_password
from bloom.accounts.schemas import (
    CreateUser,
    CypressCount,
    PartnerAccessCriteria,
    Profile,
    SearchCriteria,
    UserSearchResult,
)
from bloom.content import progress
from bloom.core.errors import BadRequest
from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.core.validation import validation_messages
from bloom.partners import access_service as partner_access
from bloom.partners.models import (
    PARTNER_DOES_NOT_EXIST,
    USER_DOES_NOT_EXIST,
    PartnerAccessRecord,
    PartnerAdminRecord,
    PartnerRecord,
    admin_summary,
    partner_access_out,
    partner_admin_out,
)
from bloom.partners.repository import (
    PartnerAccessesRepository,
    PartnerAdminsRepository,
    PartnersRepository,
    UserLinks,
)
from bloom.partners.schemas import PartnerAdminOut
from bloom.partners.service import _new_admin_in, _partner_in
from bloom.platform.store.batch import fetch_many
from bloom.platform.store.repository import Repository
from bloom.platform.store.unit_of_work import UnitOfWork, run_in_transaction
from bloom.users import firebase_accounts
from bloom.users.repository import UsersRepository, email_substring_filters, partner_admin_filter
from bloom.users.schemas import DeletedUser, UserRecord, user_out
from bloom.users.service import erase

SEARCH_PAGE, SEARCH_MAX_READ = 100, 1000  # a search reads at most this many user documents
CYPRESS_PAGE, CYPRESS_MAX_READ, CYPRESS_MAX_DELETE = 500, 10_000, 500
_log = get_logger(__name__)


def _users() -> UsersRepository:
    return UsersRepository()


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
    """`GET user?searchCriteria=`: a bounded search (see `bloom.users.repository` for how email search works).

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


def profile_of(user: UserRecord) -> Profile:
    """One round trip (none when the user points at nothing)."""
    fetched = fetch_many(partner_access.profile_refs(user) + progress.profile_refs(user))
    accesses, admin = partner_access.profile_parts(user, fetched)
    courses, resources = progress.profile_content(user, fetched)
    return Profile(
        user=user_out(user),
        partner_accesses=accesses,
        partner_admin=admin,
        courses=courses,
        resources=resources,
        subscriptions=[],
    )


def my_profile(auth_uid: str, user: UserRecord) -> Profile:
    """The caller's profile (their document was read by authentication); records lastActiveAt once a day."""
    now = utcnow()
    if is_new_active_day(user.last_active_at, now) and UsersRepository().record_active(auth_uid, now):
        user = user.model_copy(update={"last_active_at": now})
    return profile_of(user)


_log = get_logger(__name__)


def create_partner_admin_user(name: str, email: str, partner_id: str) -> PartnerAdminOut:
    """Make the person with this email a partner admin, creating their Firebase account (random password; they
    reset it) and their Bloom user if they have none. An account created here is
    deleted again if anything after it fails, so no orphan account is left behind."""
    from bloom.users import firebase_accounts

    if _partner_in(None, partner_id) is None:
        raise BadRequest(PARTNER_DOES_NOT_EXIST)
    uid = firebase_accounts.uid_for_email(email)
    created_account = uid is None
    if uid is None:
        uid = firebase_accounts.create_account(email, secrets.token_urlsafe(24))
    users, links = UsersRepository(), UserLinks()

    def work(unit: UnitOfWork) -> PartnerAdminOut:
        existing = users.get(uid, transaction=unit.transaction)
        if existing is not None and existing.deleted_at is None:
            admin, partner = _new_admin_in(unit, existing, partner_id)
            links.set_admin_summary(unit, uid, admin_summary(admin, partner))
            return partner_admin_out(admin, partner)
        if existing is not None:
            raise BadRequest(USER_DOES_NOT_EXIST)  # an erasure is under way for this account
        now = utcnow()
        user = UserRecord(
            id=str(uuid.uuid4()),
            email=email,
            name=name,
            created_at=now,
            updated_at=now,
            contact_permission=True,
            service_emails_permission=True,
            crisp_token_id=str(uuid.uuid4()),
        )
        admin, partner = _new_admin_in(unit, user, partner_id)
        user = user.model_copy(update={"partner_admin": admin_summary(admin, partner)})
        users.create(unit, uid, user)  # fails the transaction if a user document appeared meanwhile
        return partner_admin_out(admin, partner)

    try:
        return run_in_transaction(work)
    except BaseException:
        if created_account:
            _remove_account_unless_used(uid)
        raise


def _remove_account_unless_used(uid: str) -> None:
    """Delete the account this request created, unless a user document exists for it after all (e.g. the commit
    went through although its answer was lost). The original error is what the caller sees."""
    from bloom.users import firebase_accounts

    try:
        if UsersRepository().get(uid) is None:
            firebase_accounts.delete_account(uid)
    except Exception as exc:
        _log.error(
            "could not remove the account of a failed partner-admin creation",
            extra={"errorType": type(exc).__name__},
        )
