"""The Profile (`GET user/me`, `POST user`): the user document plus ONE batched read of everything it points to.

The partners area names and shapes its documents (`partner_access.profile_refs/profile_parts`), the content
area its own (`progress.profile_refs/profile_content`); this module reads them all in one `fetch_many`.
"""

from __future__ import annotations

from bloom.models.base import utcnow
from bloom.models.profile import Profile, is_new_active_day, user_out
from bloom.models.user import UserRecord
from bloom.repositories.users import UsersRepository
from bloom.services import partner_access, progress
from bloom.store.batch import fetch_many


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
