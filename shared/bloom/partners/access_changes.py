"""What every change to a partner access does besides the record: its copies and its events.

An access is copied into its code's claim (`PartnersWork.update_access`) and, once it has a holder, into the
holder's profile projection (`change_access` writes it through `bloom.users.service`, joined to the unit of work).
Each change records one event in the same transaction (outbox). `access_events_page` rebuilds the grant and
activation events from stored accesses for reporting's backfill.
"""

from __future__ import annotations

from datetime import datetime

from bloom.partners.events import (
    PARTNER_ACCESS_ACTIVATED,
    PARTNER_ACCESS_CHANGED,
    PARTNER_ACCESS_GRANTED,
    PartnerAccessActivated,
    PartnerAccessChanged,
    PartnerAccessGranted,
)
from bloom.partners.models import PartnerAccessRecord
from bloom.partners.repository import PartnersWork
from bloom.platform.store.unit_of_work import UnitOfWork
from bloom.users import service as users


def change_access(uow: PartnersWork, access: PartnerAccessRecord, **changes: object) -> PartnerAccessRecord:
    """Change an access (the model's field names, plain values), its code's copy and its holder's profile copy;
    the access as changed. For an access whose holder's document is being created or is gone, call
    `uow.update_access` instead (no projection)."""
    updated = uow.update_access(access, **changes)
    if access.holder_uid is not None and access.user_id is not None:
        users.project_in(uow, access.holder_uid, "accesses", {access.id: uow.accesses.to_doc(updated)})
    return updated


# ---------------------------------------------------------------- events (recorded with the change)


def granted_event(access: PartnerAccessRecord) -> PartnerAccessGranted:
    return PartnerAccessGranted(
        access_id=access.id, partner_id=access.partner_id, created_at=access.created_at.isoformat()
    )


def emit_granted(uow: UnitOfWork, access: PartnerAccessRecord) -> None:
    uow.emit(PARTNER_ACCESS_GRANTED, granted_event(access))


def activated_event(access: PartnerAccessRecord, user_id: str, when: datetime) -> PartnerAccessActivated:
    return PartnerAccessActivated(
        access_id=access.id, partner_id=access.partner_id, user_id=user_id, activated_at=when.isoformat()
    )


def emit_activated(uow: UnitOfWork, access: PartnerAccessRecord, user_id: str, when: datetime) -> None:
    uow.emit(PARTNER_ACCESS_ACTIVATED, activated_event(access, user_id, when))


def emit_changed(uow: UnitOfWork, access: PartnerAccessRecord, user_id: str | None, when: datetime) -> None:
    changed = PartnerAccessChanged(
        access_id=access.id, partner_id=access.partner_id, user_id=user_id, changed_at=when.isoformat()
    )
    uow.emit(PARTNER_ACCESS_CHANGED, changed)


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
        events.append(granted_event(access))
        if access.activated_at is not None:
            events.append(activated_event(access, access.user_id or "", access.activated_at))
    return events, (rows[-1][0] if len(rows) == limit else None)
