"""Users: the caller's record, profile changes, super-admin grants and erasure, and the user-document writes
other areas make inside their own units of work.

The user document (`users/{authUid}`) carries ids other areas keep current (partner accesses and admin
summary, started courses and resources) so the caller's profile is cheap to read. Those areas never touch the
document themselves: they call the `…_in(uow, …)` functions here, which join their unit of work, so the
change to the user commits with theirs.

Erasure deletes the Firebase account first, then the user document together with the USER_DELETED event
(outbox, same transaction); every area erases its own data in its subscriber. A retry after a partial failure
finds the document still there and finishes the job (an account that is already gone is fine).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.platform.store.repository import Repository
from bloom.platform.store.unit_of_work import Fetched, UnitOfWork
from bloom.users import firebase_accounts
from bloom.users.errors import USER_NOT_FOUND
from bloom.users.events import USER_CREATED, USER_DELETED, USER_UPDATED, UserCreated, UserDeleted, UserUpdated
from bloom.users.repository import UsersWork, email_substring_filters, partner_admin_filter
from bloom.users.schemas import (
    CYPRESS_EMAIL_PREFIX,
    AdminUpdateUser,
    DeletedUser,
    PartnerAdminSummary,
    ProfileProjection,
    ProjectionSection,
    UpdateUser,
    UserOut,
    UserRecord,
    changed_fields,
    is_cypress_email,
    user_out,
)

_log = get_logger(__name__)
Row = tuple[str, UserRecord]  # (document id = auth uid, user)


# ---------------------------------------------------------------- reads


def record_of(auth_uid: str) -> UserRecord | None:
    """The live user of a verified token's uid (None when there is none or it is being erased)."""
    with UsersWork() as uow:
        user = uow.users.get(auth_uid)
    return user if user is not None and user.deleted_at is None else None


def record_with(auth_uid: str, also: list[tuple[Repository[Any], str]]) -> tuple[UserRecord | None, Fetched]:
    """`record_of`, plus other documents read in the same round trip (what the caller's route needs)."""
    with UsersWork() as uow:
        fetched = uow.fetch([(uow.users, auth_uid), *also])
    user = fetched.get(uow.users, auth_uid)
    return (user if user is not None and user.deleted_at is None else None), fetched


def by_public_ids(user_ids: list[str]) -> list[UserRecord]:
    with UsersWork() as uow:
        return uow.users.by_public_ids(user_ids)


def search_pages(needle: str, partner_admin_id: str | None, *, page_size: int, max_docs: int) -> Iterator[list[Row]]:
    """Pages of users that may match an email substring and/or a partner-admin criterion, reading at most
    `max_docs` documents (see `bloom.users.repository` for how email search works); callers check the exact match.
    """
    filters = email_substring_filters(needle)
    if not filters and partner_admin_id is not None:
        filters = [partner_admin_filter(partner_admin_id)]
    with UsersWork() as uow:
        yield from uow.users.scan(filters, page_size=page_size, max_docs=max_docs)


def with_email_prefix(prefix: str, max_docs: int) -> list[Row]:
    """Users whose stored (lower-cased) email starts with `prefix`, reading at most `max_docs` documents."""
    with UsersWork() as uow:
        pages = uow.users.with_email_prefix(prefix, page_size=min(max_docs, 500), max_docs=max_docs)
        return [row for page in pages for row in page]


def cypress_test_users(max_docs: int) -> list[Row]:
    """The Cypress suite's test users, reading at most `max_docs` user documents."""
    return [row for row in with_email_prefix(CYPRESS_EMAIL_PREFIX, max_docs) if is_cypress_email(row[1].email)]


def find_by_email(email: str) -> Row | None:
    with UsersWork() as uow:
        return uow.users.find_by_email(email)


def count_active_between(start: datetime, end: datetime) -> int:
    """Users whose lastActiveAt (stamped at most once a day by `GET user/me`) falls in [start, end): a count
    aggregation on the automatic single-field index, reading no user document."""
    with UsersWork() as uow:
        return uow.users.count_active_between(start, end)


def created_events_page(after: str | None, limit: int) -> tuple[list[UserCreated], str | None]:
    """USER_CREATED as it was recorded, rebuilt from stored users (reporting's backfill), a page at a time in
    document order; the second value is where the next page starts (None: done)."""
    with UsersWork() as uow:
        rows = uow.users.page(after, limit)
    events = [
        UserCreated(
            user_id=user.id,
            partner_ids=list(user.partner_ids),
            sign_up_language=user.sign_up_language,
            created_at=user.created_at.isoformat(),
        )
        for _, user in rows
        if user.created_at is not None and user.deleted_at is None
    ]
    return events, (rows[-1][0] if len(rows) == limit else None)


def record_active(auth_uid: str, when: datetime) -> bool:
    """Stamp `lastActiveAt` (latest write wins); False if the user is gone."""
    with UsersWork() as uow:
        return uow.users.record_active(auth_uid, when)


# ---------------------------------------------------------------- inside another area's unit of work


def get_in(uow: UnitOfWork, auth_uid: str) -> UserRecord | None:
    return UsersWork.join(uow).users.get(auth_uid)


def find_in(uow: UnitOfWork, user_id: str) -> Row | None:
    """(auth uid, user) for a public user id, read in `uow`."""
    return UsersWork.join(uow).users.find_by_public_id(user_id)


def admins_of_partner_in(uow: UnitOfWork, partner_id: str) -> list[Row]:
    return UsersWork.join(uow).users.admins_of_partner(partner_id)


def create_in(uow: UnitOfWork, auth_uid: str, user: UserRecord) -> None:
    """Create the user document (and USER_CREATED with it); the commit fails if one exists for this account by then."""
    work = UsersWork.join(uow)
    work.users.create(auth_uid, user)
    created = UserCreated(
        user_id=user.id,
        partner_ids=list(user.partner_ids),
        sign_up_language=user.sign_up_language,
        created_at=(user.created_at or utcnow()).isoformat(),
    )
    work.emit(USER_CREATED, created)


def set_partner_admin_in(uow: UnitOfWork, auth_uid: str, summary: PartnerAdminSummary | None) -> None:
    UsersWork.join(uow).users.change(auth_uid, partner_admin=summary)


def add_partner_access_in(
    uow: UnitOfWork, auth_uid: str, access_id: str, partner_id: str, copy: dict[str, Any]
) -> None:
    """Link an access to the user: its ids on their lists, its copy in their profile projection."""
    users = UsersWork.join(uow).users
    users.add_to_lists(auth_uid, partner_access_ids=access_id, partner_ids=partner_id)
    users.project(auth_uid, "accesses", {access_id: copy})


def remove_partner_accesses_in(uow: UnitOfWork, auth_uid: str, access_ids: list[str]) -> None:
    users = UsersWork.join(uow).users
    users.remove_from_list(auth_uid, "partner_access_ids", access_ids)
    users.project(auth_uid, "accesses", dict.fromkeys(access_ids))


def project_in(
    uow: UnitOfWork, auth_uid: str, section: ProjectionSection, entries: dict[str, dict[str, Any] | None]
) -> None:
    """Replace (or remove, with None) copies in the user's profile projection; the user document must exist."""
    UsersWork.join(uow).users.project(auth_uid, section, entries)


def replace_projection_in(
    uow: UnitOfWork, auth_uid: str, projection: ProfileProjection, admin: PartnerAdminSummary | None
) -> None:
    """Rewrite the whole profile projection and admin summary (a rebuild from the records)."""
    UsersWork.join(uow).users.update_fields(
        auth_uid,
        {
            "profile": projection.model_dump(by_alias=True),
            "partner_admin": admin.model_dump(by_alias=True) if admin is not None else None,
        },
    )


def set_practice_roles_in(
    uow: UnitOfWork, auth_uid: str, *, therapist_profile_id: str | None, practice_admin: bool
) -> None:
    """The practice roles denormalised onto the user (read by authentication); the document must exist."""
    UsersWork.join(uow).users.update_fields(
        auth_uid, {"therapist_profile_id": therapist_profile_id, "practice_admin": practice_admin}
    )


def set_disabled_in(uow: UnitOfWork, auth_uid: str, disabled_at: datetime | None) -> None:
    """Disable the user (their requests get 401 from now on, and tokens issued before now stay refused) or, with
    None, enable them again; the document must exist."""
    changes: dict[str, Any] = {"disabled_at": disabled_at}
    if disabled_at is not None:
        changes["tokens_valid_after"] = disabled_at.replace(microsecond=0)
    UsersWork.join(uow).users.change(auth_uid, **changes)


def set_account_disabled(auth_uid: str, disabled: bool) -> None:
    """The Firebase account follows: disabled with its refresh tokens revoked, or enabled."""
    firebase_accounts.set_disabled(auth_uid, disabled)


def add_course_in(uow: UnitOfWork, auth_uid: str, course_uuid: str) -> None:
    UsersWork.join(uow).users.add_to_lists(auth_uid, course_ids=course_uuid)


def add_resource_in(uow: UnitOfWork, auth_uid: str, resource_uuid: str) -> None:
    UsersWork.join(uow).users.add_to_lists(auth_uid, resource_ids=resource_uuid)


# ---------------------------------------------------------------- profile changes


def update_me(auth_uid: str, user: UserRecord, body: UpdateUser) -> UserOut:
    return _update(auth_uid, user, body.changes())


def admin_update(user_id: str, body: AdminUpdateUser) -> UserOut:
    with UsersWork() as uow:
        found = uow.users.find_by_public_id(user_id)
    if found is None:
        raise USER_NOT_FOUND.error()
    auth_uid, user = found
    return _update(auth_uid, user, body.changes())


def _update(auth_uid: str, current: UserRecord, changes: dict[str, Any]) -> UserOut:
    """Firebase first for an email change (so the login and the record never disagree for long), then the record."""
    email = changes.get("email")
    if email is not None and email != current.email:
        firebase_accounts.update_email(auth_uid, str(email))
    return _write(auth_uid, changes)


def withdraw_permissions(auth_uid: str, contact: bool, service_emails: bool) -> UserOut:
    """Turn off marketing (`contact`) and/or service email permissions, as an email provider reports it (an
    unsubscribe, a bouncing address): a profile change like any other (USER_UPDATED when it changes anything)."""
    changes: dict[str, Any] = {}
    if contact:
        changes["contact_permission"] = False
    if service_emails:
        changes["service_emails_permission"] = False
    return _write(auth_uid, changes)


def _write(auth_uid: str, changes: dict[str, Any]) -> UserOut:
    def work(uow: UsersWork) -> UserRecord:
        stored = uow.users.get(auth_uid)
        if stored is None:
            raise USER_NOT_FOUND.error()
        now = utcnow()
        fields = {**changes, "updated_at": now}
        uow.users.update_fields(auth_uid, fields)
        changed = changed_fields(stored, changes)
        if changed:
            uow.emit(USER_UPDATED, UserUpdated(user_id=stored.id, changed=changed, updated_at=now.isoformat()))
        return stored.model_copy(update=fields)

    updated = UsersWork.run_in_transaction(work)
    _log.info("user updated", extra={"userId": updated.id, "fields": sorted(changes)})
    return user_out(updated)


def grant_super_admin(email: str) -> UserOut:
    """Set isSuperAdmin on an existing user (dev CLI, seed). They still need a verified email and MFA."""
    found = find_by_email(email)
    if found is None:
        raise USER_NOT_FOUND.error()
    auth_uid, user = found
    if user.is_super_admin:
        return user_out(user)
    return _update(auth_uid, user, {"is_super_admin": True})


# ---------------------------------------------------------------- erasure


def delete_me(auth_uid: str, user: UserRecord) -> DeletedUser:
    return erase(auth_uid, user.id)


def delete_by_id(user_id: str) -> DeletedUser:
    with UsersWork() as uow:
        found = uow.users.find_by_public_id(user_id)
    if found is None:
        raise USER_NOT_FOUND.error()
    return erase(found[0], user_id)


def erase(auth_uid: str, user_id: str) -> DeletedUser:
    """Firebase account, then the user document and USER_DELETED in one transaction. Idempotent."""
    account_existed = firebase_accounts.delete_account(auth_uid)

    def work(uow: UsersWork) -> bool:
        stored = uow.users.get(auth_uid)
        if stored is None:
            return False
        uow.users.delete(auth_uid)
        uow.emit(USER_DELETED, UserDeleted(user_id=stored.id, deleted_at=utcnow().isoformat(), auth_uid=auth_uid))
        return True

    document_existed = UsersWork.run_in_transaction(work)
    _log.info(
        "user deleted",
        extra={"userId": user_id, "accountDeleted": account_existed, "documentDeleted": document_existed},
    )
    return DeletedUser(id=user_id)
