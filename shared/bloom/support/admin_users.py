"""The support console's user lookup, disable and enable (practice admins). Every lookup (found or not) and every
change is recorded in AuthAudit with ids only: never the email searched for.

Disabling writes the user document (`disabledAt`, `tokensValidAfter`) with its AuthAudit record in one
transaction, then disables the Firebase account and revokes its refresh tokens. Authentication reads the user
document on every request, so the disabled user's next request is a 401 at once, without a per-request call to
Firebase; a retry after a Firebase failure repeats both steps harmlessly.
"""

from __future__ import annotations

from bloom.core.time import utcnow
from bloom.identity import service as identity
from bloom.identity.schemas import AuthAuditAction
from bloom.platform.auth import FORBIDDEN
from bloom.practice import service as practice
from bloom.support import errors
from bloom.support.models import roles_of
from bloom.support.repository import SupportWork
from bloom.support.schemas import LookedUpUser, UserLookup
from bloom.users import service as users
from bloom.users.schemas import Caller, UserRecord


def _looked_up(user: UserRecord, *, has_assignments_as_patient: bool) -> LookedUpUser:
    return LookedUpUser(
        id=user.id,
        email=user.email,
        name=user.name,
        created_at=user.created_at,
        roles=roles_of(user, has_assignments_as_patient=has_assignments_as_patient),
        disabled=user.disabled_at is not None,
    )


def look_up_user(caller: Caller, q: str) -> UserLookup:
    """`GET admin/users?q=`: the user with exactly this email, or this user id; 404 otherwise."""
    with SupportWork() as uow:
        row = users.find_by_email(q) if "@" in q else users.find_in(uow, q.strip())
        subject_id = row[1].id if row is not None else None
        identity.record_auth_audit_in(uow, "user.looked_up", caller.user.id, subject_id, {"found": row is not None})
    if row is None:
        raise errors.LOOKUP_USER_NOT_FOUND.error()
    return _lookup_of(row[1])


def _lookup_of(user: UserRecord) -> UserLookup:
    assignments = practice.assignments_of_user(user.id, user.therapist_profile_id)
    with SupportWork() as uow:
        open_tickets = uow.tickets.open_of_requester(user.id)
    as_patient = any(assignment.patient_id == user.id for assignment in assignments)
    return UserLookup(
        user=_looked_up(user, has_assignments_as_patient=as_patient),
        assignments=assignments,
        open_tickets=[ticket.summary() for ticket in open_tickets],
        last_active_at=user.last_active_at,
    )


def set_user_disabled(caller: Caller, user_id: str, disabled: bool) -> UserLookup:
    """`POST admin/users/:id/disable | enable`. Nobody disables themselves, and only a super admin changes a super
    admin."""
    if user_id == caller.user.id:
        raise errors.CANNOT_DISABLE_SELF.error()
    now = utcnow()

    def work(uow: SupportWork) -> tuple[str, UserRecord]:
        row = users.find_in(uow, user_id)
        if row is None:
            raise errors.LOOKUP_USER_NOT_FOUND.error()
        auth_uid, user = row
        if user.is_super_admin and not caller.is_super_admin:
            raise FORBIDDEN.error()
        users.set_disabled_in(uow, auth_uid, now if disabled else None)
        action: AuthAuditAction = "user.disabled" if disabled else "user.enabled"
        identity.record_auth_audit_in(uow, action, caller.user.id, user.id, {})
        return auth_uid, user

    auth_uid, user = SupportWork.run_in_transaction(work)
    users.set_account_disabled(auth_uid, disabled)
    return _lookup_of(user.model_copy(update={"disabled_at": now if disabled else None}))
