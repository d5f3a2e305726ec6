"""Therapy sessions charged to and refunded from partner accesses: the therapy area's ledger calls these.

A booking's charge and refund join the ledger's transaction (`charge_therapy_session_in`,
`refund_therapy_session_in`); both read first and then change the access with `change_access`, like every other
change to an access. Counters change only inside these transactions.
"""

from __future__ import annotations

from typing import Any

from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.partners.access_changes import change_access, emit_changed
from bloom.partners.models import oldest_therapy_access, partner_access_out
from bloom.partners.repository import PartnersWork
from bloom.partners.schemas import PartnerAccessOut, TherapyCharge
from bloom.platform.store.repository import Repository
from bloom.platform.store.unit_of_work import Fetched, UnitOfWork

_log = get_logger(__name__)


def charge_therapy_session_in(uow: UnitOfWork, user_id: str) -> TherapyCharge | None:
    """Charge one therapy session to the user's oldest eligible access (active, therapy on, sessions left), in the
    caller's transaction: `remaining - 1`, `redeemed + 1`. None (and nothing written) when no access is eligible.

    Reads the user's accesses first, then writes: the caller must not read after calling this."""
    work = PartnersWork.join(uow)
    access = oldest_therapy_access(work.accesses.assigned_to(user_id))
    if access is None:
        return None
    now = utcnow()
    change_access(
        work,
        access,
        therapy_sessions_remaining=access.therapy_sessions_remaining - 1,
        therapy_sessions_redeemed=access.therapy_sessions_redeemed + 1,
        updated_at=now,
    )
    emit_changed(work, access, access.user_id, now)
    return TherapyCharge(access_id=access.id, partner_id=access.partner_id)


def therapy_access_ref(uow: UnitOfWork, access_id: str) -> tuple[Repository[Any], str]:
    """The document `refund_therapy_session_in` reads, for a caller that batches it with its own reads."""
    return (PartnersWork.join(uow).accesses, access_id)


def refund_therapy_session_in(uow: UnitOfWork, access_id: str, fetched: Fetched | None = None) -> bool:
    """Give back one therapy session to the access a booking charged, in the caller's transaction: `remaining + 1`,
    `redeemed - 1` (never below 0). Reads the access (or takes it from `fetched`, read with `therapy_access_ref`)
    and then writes it. False when the access no longer exists."""
    work = PartnersWork.join(uow)
    access = fetched.get(work.accesses, access_id) if fetched is not None else work.accesses.get(access_id)
    if access is None:
        _log.warning("therapy refund for an access that no longer exists", extra={"partner_access_id": access_id})
        return False
    now = utcnow()
    change_access(
        work,
        access,
        therapy_sessions_remaining=access.therapy_sessions_remaining + 1,
        therapy_sessions_redeemed=max(access.therapy_sessions_redeemed - 1, 0),
        updated_at=now,
    )
    emit_changed(work, access, access.user_id, now)
    return True


def accesses_by_ids(access_ids: list[str]) -> dict[str, PartnerAccessOut]:
    """Accesses (with their partner) by id, for the therapy listings; unknown ids are absent."""
    with PartnersWork() as uow:
        accesses = uow.accesses.get_many(access_ids)
        partners = uow.partners.get_many({a.partner_id for a in accesses.values()})
    return {
        access_id: partner_access_out(access, partners[access.partner_id])
        for access_id, access in accesses.items()
        if access.partner_id in partners
    }
