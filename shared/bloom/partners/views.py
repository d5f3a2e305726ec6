"""What profiles and searches show of partners: a user's accesses (each with its partner) and their
partner-admin record, computed either from the records themselves (`profile_refs` + `partner_views`: searches,
rebuilds, checks) or from the user's profile projection and the partner catalogue read with their document
(`projected_views`: `GET user/me`, no further read).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bloom.partners.models import (
    PartnerAccessRecord,
    PartnerAdminRecord,
    PartnerCatalogue,
    PartnerRecord,
    admin_summary,
    partner_access_out,
    partner_admin_out,
)
from bloom.partners.repository import CATALOGUE_ID, PartnersWork
from bloom.partners.schemas import (
    PartnerAccessOut,
    PartnerAdminOut,
)
from bloom.platform.store.repository import Repository
from bloom.platform.store.unit_of_work import Fetched, UnitOfWork
from bloom.users.schemas import PartnerAdminSummary, UserRecord


def profile_refs(
    uow: UnitOfWork, user: UserRecord, *, accesses: bool = True, admin: bool = True
) -> list[tuple[Repository[Any], str]]:
    """Every document `partner_views` needs for `user` (their accesses, their admin record), for one batched read."""
    work = PartnersWork.join(uow)
    refs: list[tuple[Repository[Any], str]] = []
    if accesses:
        refs.extend((work.accesses, access_id) for access_id in user.partner_access_ids)
        refs.extend((work.partners, partner_id) for partner_id in user.partner_ids)
    if admin and user.partner_admin is not None:
        refs.append((work.admins, user.partner_admin.id))
        refs.append((work.partners, user.partner_admin.partner_id))
    return refs


@dataclass(frozen=True)
class AccessFilter:
    """Which of a user's accesses a view shows (None: any)."""

    active: bool | None = None
    feature_therapy: bool | None = None

    def accepts(self, access: PartnerAccessRecord) -> bool:
        return (self.active is None or access.active == self.active) and (
            self.feature_therapy is None or access.feature_therapy == self.feature_therapy
        )


@dataclass(frozen=True)
class PartnerView:
    accesses: list[PartnerAccessOut] = field(default_factory=list)
    admin: PartnerAdminOut | None = None


def partner_views(
    uow: UnitOfWork, user: UserRecord, fetched: Fetched, accesses: AccessFilter, *, active_admin_only: bool
) -> PartnerView:
    """The user's accesses that pass the filter (each with its partner) and their partner-admin record, from
    documents read with `profile_refs`. Records that no longer point back at the user are left out."""
    work = PartnersWork.join(uow)
    admin = None
    if user.partner_admin is not None:
        admin = fetched.get(work.admins, user.partner_admin.id)
    return _views(
        user,
        lambda access_id: fetched.get(work.accesses, access_id),
        lambda partner_id: fetched.get(work.partners, partner_id),
        admin,
        accesses,
        active_admin_only=active_admin_only,
    )


def expected_projection(
    uow: UnitOfWork, user: UserRecord, fetched: Fetched
) -> tuple[dict[str, dict[str, Any]], PartnerAdminSummary | None]:
    """What the user's document must hold of this area, computed from the records `profile_refs` fetched: the
    copies of the accesses that point back at the user, and the admin summary."""
    work = PartnersWork.join(uow)
    copies: dict[str, dict[str, Any]] = {}
    for access_id in user.partner_access_ids:
        access = fetched.get(work.accesses, access_id)
        if access is not None and access.user_id == user.id:
            copies[access_id] = work.accesses.to_doc(access)
    summary = None
    if user.partner_admin is not None:
        admin = fetched.get(work.admins, user.partner_admin.id)
        partner = fetched.get(work.partners, user.partner_admin.partner_id)
        if admin is not None and partner is not None:
            summary = admin_summary(admin, partner)
    return copies, summary


def adopt_accesses_in(uow: UnitOfWork, auth_uid: str, copies: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Mark the user's accesses with their account (`holderUid`) where they lack it, so later writes keep the
    projection current; returns the copies as they will be stored."""
    work = PartnersWork.join(uow)
    adopted: dict[str, dict[str, Any]] = {}
    for access_id, doc in copies.items():
        access = PartnerAccessRecord.model_validate(doc)
        if access.holder_uid != auth_uid:
            access = work.update_access(access, holder_uid=auth_uid)  # the caller writes the projection
        adopted[access_id] = work.accesses.to_doc(access)
    return adopted


def catalogue_refs(uow: UnitOfWork) -> list[tuple[Repository[Any], str]]:
    """The partner catalogue, for reading with the caller's user document."""
    work = PartnersWork.join(uow)
    return [(work.catalogue, CATALOGUE_ID)]


def projected_views(uow: UnitOfWork, user: UserRecord, fetched: Fetched) -> PartnerView:
    """The profile's accesses (active ones) and active admin record, from the user's projection and admin summary
    and the partner catalogue read with them: no further read."""
    work = PartnersWork.join(uow)
    catalogue = fetched.get(work.catalogue, CATALOGUE_ID) or PartnerCatalogue()
    copies = user.profile.accesses
    summary = user.partner_admin
    admin = None
    if summary is not None and summary.created_at is not None and summary.updated_at is not None:
        admin = PartnerAdminRecord(
            id=summary.id,
            user_id=user.id,
            partner_id=summary.partner_id,
            active=summary.active,
            created_at=summary.created_at,
            updated_at=summary.updated_at,
        )
    return _views(
        user,
        lambda access_id: PartnerAccessRecord.model_validate(copies[access_id]) if access_id in copies else None,
        catalogue.partners.get,
        admin,
        AccessFilter(active=True),
        active_admin_only=True,
    )


def _views(
    user: UserRecord,
    access_of: Callable[[str], PartnerAccessRecord | None],
    partner_of: Callable[[str], PartnerRecord | None],
    admin: PartnerAdminRecord | None,
    accesses: AccessFilter,
    *,
    active_admin_only: bool,
) -> PartnerView:
    access_outs: list[PartnerAccessOut] = []
    for access_id in user.partner_access_ids:
        access = access_of(access_id)
        if access is None or access.user_id != user.id or not accesses.accepts(access):
            continue
        partner = partner_of(access.partner_id)
        if partner is not None:
            access_outs.append(partner_access_out(access, partner))
    admin_out: PartnerAdminOut | None = None
    if admin is not None and user.partner_admin is not None:
        partner = partner_of(user.partner_admin.partner_id)
        shown = admin.user_id == user.id and (admin.active or not active_admin_only)
        if shown and partner is not None:
            admin_out = partner_admin_out(admin, partner)
    return PartnerView(access_outs, admin_out)


def user_ids_with_accesses(accesses: AccessFilter, limit: int) -> list[str]:
    """Public ids of users holding an access that passes the filter (equality queries; at most `limit` read)."""
    equals: dict[str, object] = {}
    if accesses.feature_therapy is not None:
        equals["feature_therapy"] = accesses.feature_therapy
    if accesses.active is not None:
        equals["active"] = accesses.active
    with PartnersWork() as uow:
        found = uow.accesses.search(equals, limit)
    return [access.user_id for access in found if access.user_id is not None]
