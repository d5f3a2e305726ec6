"""A user's erasure (USER_DELETED), for their partner accesses: released, never deleted."""

from __future__ import annotations

from bloom.core.time import utcnow
from bloom.partners.access_changes import emit_changed
from bloom.partners.repository import PartnersWork


def release_accesses_of(user_id: str) -> int:
    """Unassign the erased user's accesses but keep the records (the partner's counts need them).

    A released access stays redeemed (`releasedAt`), so its code can never be used again. Idempotent.
    """

    def work(uow: PartnersWork) -> int:
        accesses = uow.accesses.assigned_to(user_id)
        now = utcnow()
        for access in accesses:
            # no projection: the holder's document is gone
            uow.update_access(access, user_id=None, holder_uid=None, released_at=now, updated_at=now)
            emit_changed(uow, access, None, now)
        return len(accesses)

    return PartnersWork.run_in_transaction(work)
