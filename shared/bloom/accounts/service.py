"""Accounts: the use cases that span users, partners and content — signup, the caller's profile
(`GET user/me`), the super admin's user search, creating partner-admin accounts and the Cypress tools.

Signup creates the Firebase account first (its uid is the user document's id), then writes the user, and the
partner access when there is one, in one transaction. If anything fails after the account exists, the account
is deleted again, so a failed signup leaves neither an orphan account nor a half-written user.
"""

from __future__ import annotations

import json
import secrets
import sys
import uuid
from collections.abc import Iterable, Iterator

from pydantic import ValidationError

from bloom.accounts.models import is_new_active_day, is_weak_password
from bloom.accounts.schemas import CreateUser, CypressCount, Profile, SearchCriteria, UserSearchResult
from bloom.content import progress
from bloom.content import service as content
from bloom.content.schemas import CourseOut, ResourceOut
from bloom.core.errors import BadRequest
from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.core.validation import validation_messages
from bloom.partners import access_codes
from bloom.partners import errors as partner_errors
from bloom.partners import service as partners
from bloom.partners import views as partner_views
from bloom.partners.schemas import GrantedAccess, PartnerAdminOut
from bloom.partners.views import AccessFilter, PartnerView
from bloom.platform.store.unit_of_work import Fetched, UnitOfWork
from bloom.subscriptions import service as subscriptions
from bloom.subscriptions.schemas import SubscriptionOut
from bloom.users import errors as user_errors
from bloom.users import firebase_accounts
from bloom.users import service as users
from bloom.users.schemas import (
    Caller,
    DeletedUser,
    PartnerAdminSummary,
    ProfileProjection,
    UserRecord,
    user_out,
)

SEARCH_PAGE, SEARCH_MAX_READ = 100, 1000  # a search reads at most this many user documents
CYPRESS_MAX_READ, CYPRESS_MAX_DELETE = 10_000, 500
_log = get_logger(__name__)


# ---------------------------------------------------------------- signup


def register(body: CreateUser) -> Profile:
    """Create the Firebase account and the Bloom user (with a partner access when a code or partnerId is given)."""
    if is_weak_password(body.password):
        raise user_errors.CREATE_USER_WEAK_PASSWORD.error()
    code = (body.partner_access_code or "").strip()
    partner_id = "" if code else (body.partner_id or "").strip()
    if code:
        # The same checks run again inside the transaction; this one spares creating an account for a bad code.
        access_codes.validate_code(code)
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
        user = UnitOfWork.run_in_transaction(lambda uow: _create_user(uow, auth_uid, draft, code, partner_id))
    except BaseException:
        _remove_account_unless_used(auth_uid)
        raise
    _log.info(
        "user created",
        extra={"userId": user.id, "signupType": "code" if code else "automatic" if partner_id else "public"},
    )
    return profile_of(user)


def _create_user(uow: UnitOfWork, auth_uid: str, draft: UserRecord, code: str, partner_id: str) -> UserRecord:
    user = draft.model_copy(deep=True)  # a fresh copy for every attempt of the transaction
    granted: GrantedAccess | None = None
    if code:
        granted = access_codes.redeem_code_in(uow, code, user, auth_uid)
    elif partner_id:
        granted = access_codes.create_automatic_access_in(uow, partner_id, user, auth_uid)
    if granted is not None:
        user.partner_access_ids = [granted.access_id]
        user.partner_ids = [granted.partner_id]
        user.profile.accesses = {granted.access_id: granted.copy}
    users.create_in(uow, auth_uid, user)  # no read after the partner functions' writes
    return user


def _remove_account_unless_used(auth_uid: str) -> None:
    """Delete the account a failed request created, unless its user document was written after all (the commit
    went through although its answer was lost). The original error is what the caller sees."""
    try:
        if users.record_of(auth_uid) is not None:
            return
    except Exception:  # Firestore unreachable: the transaction that just failed is taken not to have committed
        _log.warning("failed account creation: could not check for a user document; removing the account")
    try:
        firebase_accounts.delete_account(auth_uid)
    except Exception as exc:
        _log.error(
            "failed account creation: the Firebase account could not be removed",
            extra={"errorType": type(exc).__name__},
        )


# ---------------------------------------------------------------- the profile (GET user/me)


def caller_records(auth_uid: str) -> tuple[UserRecord | None, Fetched]:
    """The caller's user document and the profile's catalogues (partners, content): one round trip."""
    uow = UnitOfWork()
    return users.record_with(auth_uid, partner_views.catalogue_refs(uow) + progress.catalogue_refs(uow))


def profile_of(user: UserRecord, catalogues: Fetched | None = None) -> Profile:
    """The profile from the user's projection and the catalogues (read here when not given: one round trip)."""
    uow = UnitOfWork()
    if catalogues is None:
        catalogues = uow.fetch(partner_views.catalogue_refs(uow) + progress.catalogue_refs(uow))
    view = partner_views.projected_views(uow, user, catalogues)
    courses, resources = progress.projected_content(uow, user, catalogues)
    return _profile(user, view, courses, resources, subscriptions.projected(user))


def profile_from_records(user: UserRecord) -> Profile:
    """The profile computed from the records themselves rather than the projection (one batched read): what
    the projection must always equal. Used to rebuild projections and to check them."""
    uow = UnitOfWork()
    fetched = uow.fetch(partner_views.profile_refs(uow, user) + progress.profile_refs(uow, user))
    view = partner_views.partner_views(uow, user, fetched, AccessFilter(active=True), active_admin_only=True)
    courses, resources = progress.profile_content(uow, user, fetched)
    return _profile(user, view, courses, resources, subscriptions.from_records(user))


def _profile(
    user: UserRecord,
    view: PartnerView,
    courses: list[CourseOut],
    resources: list[ResourceOut],
    subscribed: list[SubscriptionOut],
) -> Profile:
    return Profile(
        user=user_out(user),
        partner_accesses=view.accesses,
        partner_admin=view.admin,
        courses=courses,
        resources=resources,
        subscriptions=subscribed,
    )


def expected_projection(uow: UnitOfWork, user: UserRecord) -> tuple[ProfileProjection, PartnerAdminSummary | None]:
    """What the user's projection and admin summary must be, computed from the records (one batched read)."""
    fetched = uow.fetch(partner_views.profile_refs(uow, user) + progress.profile_refs(uow, user))
    accesses, admin = partner_views.expected_projection(uow, user, fetched)
    courses, resources = progress.expected_projection(uow, user, fetched)
    subscribed = subscriptions.expected_projection(uow, user)
    projection = ProfileProjection(accesses=accesses, courses=courses, resources=resources, subscriptions=subscribed)
    return projection, admin


def rebuild_profile(auth_uid: str) -> bool:
    """Recompute a user's projection from the records and store it if it differs (first deploy, or after a
    fix); the user's accesses are marked with their account on the way. Returns whether anything changed."""

    def work(uow: UnitOfWork) -> bool:
        user = users.get_in(uow, auth_uid)
        if user is None or user.deleted_at is not None:
            return False
        projection, admin = expected_projection(uow, user)
        projection.accesses = partner_views.adopt_accesses_in(uow, auth_uid, projection.accesses)
        if projection == user.profile and admin == user.partner_admin:
            return False
        users.replace_projection_in(uow, auth_uid, projection, admin)
        return True

    return UnitOfWork.run_in_transaction(work)


def rebuild_catalogues() -> tuple[int, int]:
    """Rewrite the partner and content catalogues from their records: (partners, content entries)."""
    return partners.rebuild_catalogue(), content.rebuild_catalogue()


def rebuild_all_profiles(page_size: int = 200) -> Iterator[tuple[str, bool]]:
    """`rebuild_profile` for every user, in document order: yields (auth uid, changed). Safe to stop and run
    again (unchanged users cost a read and no write)."""
    for page in users.search_pages("", None, page_size=page_size, max_docs=sys.maxsize):
        for auth_uid, _ in page:
            yield auth_uid, rebuild_profile(auth_uid)


def my_profile(caller: Caller) -> Profile:
    """The caller's profile (authentication read their document and the catalogues); records lastActiveAt once
    a day."""
    user, now = caller.user, utcnow()
    if is_new_active_day(user.last_active_at, now) and users.record_active(caller.auth_uid, now):
        user = user.model_copy(update={"last_active_at": now})
    return profile_of(user, caller.prefetched)


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
    wanted = criteria.partner_access
    accesses = AccessFilter(wanted.active, wanted.feature_therapy) if wanted is not None else AccessFilter()
    pages: Iterable[list[UserRecord]]
    if wanted is not None and len(needle) < 3 and admin_id is None:
        pages = [users.by_public_ids(partner_views.user_ids_with_accesses(accesses, SEARCH_MAX_READ))]
    else:
        scan = users.search_pages(needle, admin_id, page_size=SEARCH_PAGE, max_docs=SEARCH_MAX_READ)
        pages = ([user for _, user in page] for page in scan)
    results: list[UserSearchResult] = []
    for page in pages:
        found = [user for user in page if _user_matches(user, needle, admin_id)]
        results.extend(_search_results(found, criteria, accesses))
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


def _search_results(
    found: list[UserRecord], criteria: SearchCriteria, accesses: AccessFilter
) -> list[UserSearchResult]:
    """Each user with their accesses and partner-admin record (as asked for), from one batched read."""
    uow = UnitOfWork()
    refs = [
        ref
        for user in found
        for ref in partner_views.profile_refs(uow, user, accesses=criteria.wants_accesses, admin=criteria.wants_admin)
    ]
    fetched = uow.fetch(refs)
    results: list[UserSearchResult] = []
    for user in found:
        view = partner_views.partner_views(uow, user, fetched, accesses, active_admin_only=False)
        if criteria.partner_access is not None and not view.accesses:
            continue
        results.append(UserSearchResult(user=user_out(user), partner_accesses=view.accesses, partner_admin=view.admin))
    return results


# ---------------------------------------------------------------- partner-admin accounts


def create_partner_admin_user(name: str, email: str, partner_id: str) -> PartnerAdminOut:
    """Make the person with this email a partner admin, creating their Firebase account (random password; they
    reset it) and their Bloom user if they have none. An account created here is
    deleted again if anything after it fails, so no orphan account is left behind."""
    if not partners.partner_exists(partner_id):
        raise partner_errors.PARTNER_DOES_NOT_EXIST.error()
    uid = firebase_accounts.uid_for_email(email)
    created_account = uid is None
    if uid is None:
        uid = firebase_accounts.create_account(email, secrets.token_urlsafe(24))

    def work(uow: UnitOfWork) -> PartnerAdminOut:
        existing = users.get_in(uow, uid)
        if existing is not None and existing.deleted_at is not None:
            raise partner_errors.USER_DOES_NOT_EXIST.error()  # an erasure is under way for this account
        now = utcnow()
        user = existing or UserRecord(
            id=str(uuid.uuid4()),
            email=email,
            name=name,
            created_at=now,
            updated_at=now,
            contact_permission=True,
            service_emails_permission=True,
            crisp_token_id=str(uuid.uuid4()),
        )
        admin, summary = partners.new_admin_in(uow, user, partner_id)
        if existing is not None:
            users.set_partner_admin_in(uow, uid, summary)
        else:  # fails the transaction if a user document appeared meanwhile
            users.create_in(uow, uid, user.model_copy(update={"partner_admin": summary}))
        return admin

    try:
        return UnitOfWork.run_in_transaction(work)
    except BaseException:
        if created_account:
            _remove_account_unless_used(uid)
        raise


# ---------------------------------------------------------------- Cypress test data (super admin)


def count_cypress_users() -> CypressCount:
    return CypressCount(count=len(users.cypress_test_users(CYPRESS_MAX_READ)))


def delete_cypress_users() -> list[DeletedUser]:
    """Erase Cypress test users (`cypresstestemail…@chayn.co`) like `DELETE user`; at most 500 per call."""
    doomed = users.cypress_test_users(CYPRESS_MAX_READ)[:CYPRESS_MAX_DELETE]
    deleted = [users.erase(auth_uid, user.id) for auth_uid, user in doomed]
    _log.info("cypress users deleted", extra={"deleted": len(deleted)})
    return deleted
