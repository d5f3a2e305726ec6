"""Partners, features, partner features and partner admins: one function per use case.

Denormalisation kept in the same transactions as the changes that affect it:
- a partner document embeds its partner features (so a Partner is one read);
- an admin's user document carries a partner-admin summary (role checks need no extra read): it changes with
  the admin record and with the partner's activation.
Deactivating a partner switches off its active admins and accesses and marks them; reactivating switches on
only what carries that mark, so anything inactive before the deactivation stays inactive.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel

from bloom.core.errors import ErrorSpec
from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.partners import errors
from bloom.partners.access_changes import change_access, emit_changed
from bloom.partners.models import (
    FeatureRecord,
    NameClaim,
    PartnerAdminRecord,
    PartnerCatalogue,
    PartnerFeatureRecord,
    PartnerRecord,
    admin_summary,
    deactivation_changes,
    feature_out,
    name_key,
    partner_admin_out,
    partner_feature_out,
    partner_out,
    reactivation_changes,
)
from bloom.partners.repository import CATALOGUE_ID, PartnersWork, claim_id
from bloom.partners.schemas import (
    AUTOMATIC_ACCESS_CODE,
    DEFAULT_THERAPY_SESSIONS_CAP,
    CreateFeature,
    CreatePartner,
    CreatePartnerFeature,
    FeatureOut,
    PartnerAdminOut,
    PartnerFeatureOut,
    PartnerOut,
    UpdatePartner,
)
from bloom.platform.store.repository import Repository
from bloom.platform.store.unit_of_work import DuplicateDocument, UnitOfWork
from bloom.users import service as users
from bloom.users.schemas import PartnerAdminSummary, UserRecord

RecordT = TypeVar("RecordT", bound=BaseModel)
_log = get_logger(__name__)


# ---------------------------------------------------------------- partners


def create_partner(body: CreatePartner) -> PartnerOut:
    now = utcnow()
    partner = PartnerRecord(
        id=str(uuid.uuid4()),
        name=body.name,
        name_key=name_key(body.name),
        therapy_sessions_cap=(
            body.therapy_sessions_cap if body.therapy_sessions_cap is not None else DEFAULT_THERAPY_SESSIONS_CAP
        ),
        created_at=now,
        updated_at=now,
    )
    _create_named(
        lambda uow: (uow.partner_names, uow.partners),
        claim_id(partner.name_key),
        partner.id,
        partner,
        errors.PARTNER_ALREADY_EXISTS,
        publish=lambda uow: uow.publish_partner(partner),
    )
    return partner_out(partner)


def _create_named(
    repositories: Callable[[PartnersWork], tuple[Repository[NameClaim], Repository[RecordT]]],
    claim: str,
    record_id: str,
    record: RecordT,
    taken: ErrorSpec,
    publish: Callable[[PartnersWork], None] | None = None,
) -> None:
    """Create a record whose name is unique: the name's claim document and the record commit together.

    `repositories(uow)` gives (the name claims, the records) of the unit.
    """

    def work(uow: PartnersWork) -> None:
        names, records = repositories(uow)
        if names.get(claim) is not None:
            raise taken.error()
        names.create(claim, NameClaim(owner_id=record_id))
        records.create(record_id, record)
        if publish is not None:
            publish(uow)

    try:
        PartnersWork.run_in_transaction(work)
    except DuplicateDocument as exc:
        raise taken.error() from exc


def list_partners() -> list[PartnerOut]:
    with PartnersWork() as uow:
        return [partner_out(p) for p in uow.partners.all()]


def get_partner_by_name(name: str) -> PartnerOut:
    with PartnersWork() as uow:
        partner = uow.partners.by_name(name_key(name))
    if partner is None:
        raise errors.PARTNER_NOT_FOUND.error()
    return partner_out(partner)


def update_partner(partner_id: str, body: UpdatePartner) -> PartnerOut:
    """Change a partner's activation (cascading to its admins and accesses) and/or its therapy-sessions cap."""

    def work(uow: PartnersWork) -> PartnerRecord:
        partner = uow.partners.get(partner_id)
        if partner is None:
            raise errors.PARTNER_NOT_FOUND.error()
        now = utcnow()
        cap = body.therapy_sessions_cap if body.therapy_sessions_cap is not None else partner.therapy_sessions_cap
        updated = partner.model_copy(update={"is_active": body.active, "therapy_sessions_cap": cap, "updated_at": now})
        codes = uow.codes.codes_of_partner(partner.id)  # all reads first (Firestore transactions), then every write
        if body.active == partner.is_active:
            uow.partners.change(partner.id, is_active=body.active, therapy_sessions_cap=cap, updated_at=now)
            uow.publish_partner(updated)
            uow.copy_partner_to_codes(updated, codes)
            return updated
        admins = uow.admins.for_partner(partner.id)
        admin_users = users.admins_of_partner_in(uow, partner.id)
        if body.active:
            accesses = uow.accesses.switched_off_with_partner(partner.id)
            admin_changes = reactivation_changes({a.id: a.deactivated_with_partner for a in admins})
            access_changes = reactivation_changes({a.id: a.deactivated_with_partner for a in accesses})
        else:
            accesses = uow.accesses.for_partner(partner.id, active=True)
            admin_changes = deactivation_changes({a.id: a.active for a in admins})
            access_changes = deactivation_changes({a.id: a.active for a in accesses})
        uow.partners.change(partner.id, is_active=body.active, therapy_sessions_cap=cap, updated_at=now)
        uow.publish_partner(updated)
        uow.admins.change_each({i: {**c, "updated_at": now} for i, c in admin_changes.items()})
        for access in accesses:
            if access.id in access_changes:
                change_access(uow, access, **access_changes[access.id], updated_at=now)
                emit_changed(uow, access, access.user_id, now)
        uow.copy_partner_to_codes(updated, codes)
        admins_by_id = {
            a.id: a.model_copy(update={"active": admin_changes[a.id]["active"], "updated_at": now})
            if a.id in admin_changes
            else a
            for a in admins
        }
        for auth_uid, user in admin_users:
            summary = user.partner_admin
            admin = admins_by_id.get(summary.id) if summary is not None else None
            if admin is not None:
                users.set_partner_admin_in(uow, auth_uid, admin_summary(admin, updated))
        _log.info(
            "partner activation changed",
            extra={
                "partner_id": partner.id,
                "active": body.active,
                "admins_changed": len(admin_changes),
                "accesses_changed": len(access_changes),
            },
        )
        return updated

    return partner_out(PartnersWork.run_in_transaction(work))


def rebuild_catalogue() -> int:
    """Rewrite `catalogues/partners` from the partner documents (first deploy, or after a fix); returns the count."""

    def work(uow: PartnersWork) -> int:
        partners = uow.partners.all()
        uow.catalogue.save(CATALOGUE_ID, PartnerCatalogue(partners={p.id: p for p in partners}))
        return len(partners)

    return PartnersWork.run_in_transaction(work)


# ---------------------------------------------------------------- features


def create_feature(body: CreateFeature) -> FeatureOut:
    now = utcnow()
    feature = FeatureRecord(id=str(uuid.uuid4()), name=body.name, created_at=now, updated_at=now)
    _create_named(
        lambda uow: (uow.feature_names, uow.features),
        claim_id(feature.name),
        feature.id,
        feature,
        errors.FEATURE_ALREADY_EXISTS,
    )
    return feature_out(feature)


def list_features() -> list[FeatureOut]:
    with PartnersWork() as uow:
        return [feature_out(f) for f in uow.features.all()]


def get_feature(feature_id: str) -> FeatureOut:
    with PartnersWork() as uow:
        feature = uow.features.get(feature_id)
    if feature is None:
        raise errors.FEATURE_NOT_FOUND.error()
    return feature_out(feature)


# ---------------------------------------------------------------- partner features


def _features_changed(
    uow: PartnersWork, partner: PartnerRecord, features: list[PartnerFeatureRecord], codes: list[str]
) -> None:
    """Write a partner's new features and every copy of them: its codes' claims and its name claim."""
    uow.partners.change(partner.id, features=features)
    changed = partner.model_copy(update={"features": features})
    uow.publish_partner(changed)
    uow.copy_partner_to_codes(changed, codes)
    uow.partner_names.change(claim_id(partner.name_key), automatic_access=changed.feature_named(AUTOMATIC_ACCESS_CODE))


def create_partner_feature(body: CreatePartnerFeature) -> PartnerFeatureOut:
    def work(uow: PartnersWork) -> PartnerFeatureRecord:
        codes = uow.codes.codes_of_partner(body.partner_id)
        fetched = uow.fetch([(uow.partners, body.partner_id), (uow.features, body.feature_id)])
        partner = fetched.get(uow.partners, body.partner_id)
        feature = fetched.get(uow.features, body.feature_id)
        if partner is None:
            raise errors.PARTNER_NOT_FOUND.error()
        if feature is None:
            raise errors.FEATURE_NOT_FOUND.error()
        if any(f.feature_id == feature.id for f in partner.features):
            raise errors.PARTNER_FEATURE_ALREADY_EXISTS.error()
        now = utcnow()
        record = PartnerFeatureRecord(
            id=str(uuid.uuid4()),
            partner_id=partner.id,
            feature_id=feature.id,
            feature_name=feature.name,
            active=body.active,
            created_at=now,
            updated_at=now,
        )
        uow.partner_features.create(record.id, record)
        _features_changed(uow, partner, [*partner.features, record], codes)
        return record

    return partner_feature_out(PartnersWork.run_in_transaction(work))


def update_partner_feature(partner_feature_id: str, active: bool) -> PartnerFeatureOut:
    def work(uow: PartnersWork) -> PartnerFeatureRecord:
        record = uow.partner_features.get(partner_feature_id)
        partner = uow.partners.get(record.partner_id) if record is not None else None
        if record is None or partner is None:
            raise errors.PARTNER_FEATURE_NOT_FOUND.error()
        codes = uow.codes.codes_of_partner(partner.id)
        now = utcnow()
        updated = record.model_copy(update={"active": active, "updated_at": now})
        embedded = [updated if f.id == record.id else f for f in partner.features]
        if all(f.id != record.id for f in partner.features):
            embedded.append(updated)
        uow.partner_features.change(record.id, active=active, updated_at=now)
        _features_changed(uow, partner, embedded, codes)
        return updated

    return partner_feature_out(PartnersWork.run_in_transaction(work))


def automatic_access_feature(partner_name: str) -> PartnerFeatureOut | None:
    """The partner's AUTOMATIC_ACCESS_CODE partner feature (active or not: the frontend reads `active`), or None.

    One read: the partner's name claim keeps a copy of that feature."""
    with PartnersWork() as uow:
        claim = uow.partner_names.get(claim_id(name_key(partner_name)))
    feature = claim.automatic_access if claim is not None else None
    return partner_feature_out(feature) if feature is not None else None


# ---------------------------------------------------------------- partner admins


def partner_name(partner_id: str) -> str | None:
    """A partner's name (for team notices), or None when there is no such partner."""
    with PartnersWork() as uow:
        partner = uow.partners.get(partner_id)
    return partner.name if partner is not None else None


def partner_exists(partner_id: str) -> bool:
    with PartnersWork() as uow:
        return uow.partners.get(partner_id) is not None


def new_admin_in(uow: UnitOfWork, user: UserRecord, partner_id: str) -> tuple[PartnerAdminOut, PartnerAdminSummary]:
    """Make `user` an admin of the partner inside the caller's unit of work: read the partner, then create
    the admin record. The caller writes the returned summary onto the user it creates (for an existing user,
    `create_partner_admin`). Raises `Partner does not exist` / `User is already a partner admin` (400).
    """
    admin, partner = _new_admin_in(PartnersWork.join(uow), user, partner_id)
    return partner_admin_out(admin, partner), admin_summary(admin, partner)


def _new_admin_in(uow: PartnersWork, user: UserRecord, partner_id: str) -> tuple[PartnerAdminRecord, PartnerRecord]:
    partner = uow.partners.get(partner_id)
    if partner is None:
        raise errors.PARTNER_DOES_NOT_EXIST.error()
    if user.partner_admin is not None:
        raise errors.ALREADY_PARTNER_ADMIN.error()
    now = utcnow()
    admin = PartnerAdminRecord(
        id=str(uuid.uuid4()), user_id=user.id, partner_id=partner.id, created_at=now, updated_at=now
    )
    uow.admins.create(admin.id, admin)
    return admin, partner


def create_partner_admin(user_id: str, partner_id: str) -> PartnerAdminOut:
    def work(uow: PartnersWork) -> PartnerAdminOut:
        found = users.find_in(uow, user_id)
        if found is None or found[1].deleted_at is not None:
            raise errors.USER_DOES_NOT_EXIST.error()
        auth_uid, user = found
        admin, partner = _new_admin_in(uow, user, partner_id)
        users.set_partner_admin_in(uow, auth_uid, admin_summary(admin, partner))
        return partner_admin_out(admin, partner)

    return PartnersWork.run_in_transaction(work)


def update_partner_admin(partner_admin_id: str, active: bool) -> PartnerAdminOut:
    """Switch an admin on or off. An explicit change also clears the mark a partner deactivation left."""

    def work(uow: PartnersWork) -> PartnerAdminOut:
        admin = uow.admins.get(partner_admin_id)
        partner = uow.partners.get(admin.partner_id) if admin is not None else None
        if admin is None or partner is None:
            raise errors.PARTNER_ADMIN_DOES_NOT_EXIST.error()
        found = users.find_in(uow, admin.user_id)
        now = utcnow()
        updated = admin.model_copy(update={"active": active, "deactivated_with_partner": False, "updated_at": now})
        uow.admins.change(admin.id, active=active, deactivated_with_partner=False, updated_at=now)
        if found is not None:
            users.set_partner_admin_in(uow, found[0], admin_summary(updated, partner))
        return partner_admin_out(updated, partner)

    return PartnersWork.run_in_transaction(work)


def remove_partner_admin_of(user_id: str) -> int:
    """A user was erased: their partner-admin record goes too (the accesses they created keep their data).

    Idempotent; the user document is already gone, so only the admin records are touched.
    """

    def work(uow: PartnersWork) -> int:
        records = uow.admins.for_user(user_id)
        for record in records:
            uow.admins.delete(record.id)
        return len(records)

    return PartnersWork.run_in_transaction(work)
