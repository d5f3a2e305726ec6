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
from typing import Any, TypeVar

from pydantic import BaseModel

from bloom.core.errors import BadRequest, Conflict, NotFound
from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.partners.models import (
    ALREADY_PARTNER_ADMIN,
    FEATURE_ALREADY_EXISTS,
    FEATURE_NOT_FOUND,
    PARTNER_ADMIN_DOES_NOT_EXIST,
    PARTNER_ALREADY_EXISTS,
    PARTNER_DOES_NOT_EXIST,
    PARTNER_FEATURE_ALREADY_EXISTS,
    PARTNER_FEATURE_NOT_FOUND,
    PARTNER_NOT_FOUND,
    USER_DOES_NOT_EXIST,
    FeatureRecord,
    NameClaim,
    PartnerAdminRecord,
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
from bloom.partners.repository import (
    FeatureNamesRepository,
    FeaturesRepository,
    PartnerAccessesRepository,
    PartnerAdminsRepository,
    PartnerFeaturesRepository,
    PartnerNamesRepository,
    PartnersRepository,
    UserLinks,
    claim_id,
    is_valid_doc_id,
    updates_for,
)
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
from bloom.platform.store.batch import fetch_many
from bloom.platform.store.repository import Repository
from bloom.platform.store.unit_of_work import DuplicateDocument, UnitOfWork, run_in_transaction
from bloom.users.schemas import UserRecord

RecordT = TypeVar("RecordT", bound=BaseModel)
_log = get_logger(__name__)


def _partner_in(unit: UnitOfWork | None, partner_id: str) -> PartnerRecord | None:
    if not is_valid_doc_id(partner_id):
        return None
    return PartnersRepository().get(partner_id, transaction=unit.transaction if unit else None)


def create_partner(body: CreatePartner) -> PartnerOut:
    partners, names = PartnersRepository(), PartnerNamesRepository()
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
    _create_named(names, claim_id(partner.name_key), partners, partner.id, partner, PARTNER_ALREADY_EXISTS)
    return partner_out(partner)


def _create_named(
    names: Repository[NameClaim],
    claim: str,
    records: Repository[RecordT],
    record_id: str,
    record: RecordT,
    taken_message: str,
) -> None:
    """Create a record whose name is unique: the name's claim document and the record commit together."""

    def work(unit: UnitOfWork) -> None:
        if names.get(claim, transaction=unit.transaction) is not None:
            raise Conflict(taken_message)
        unit.create(names.ref(claim), names.to_doc(NameClaim(owner_id=record_id)))
        unit.create(records.ref(record_id), records.to_doc(record))

    try:
        run_in_transaction(work)
    except DuplicateDocument as exc:
        raise Conflict(taken_message) from exc


def list_partners() -> list[PartnerOut]:
    return [partner_out(p) for p in PartnersRepository().all()]


def get_partner_by_name(name: str) -> PartnerOut:
    partner = PartnersRepository().by_name(name_key(name))
    if partner is None:
        raise NotFound(PARTNER_NOT_FOUND)
    return partner_out(partner)


def update_partner(partner_id: str, body: UpdatePartner) -> PartnerOut:
    """Change a partner's activation (cascading to its admins and accesses) and/or its therapy-sessions cap."""
    admins_repo, accesses_repo, links = PartnerAdminsRepository(), PartnerAccessesRepository(), UserLinks()

    def work(unit: UnitOfWork) -> PartnerRecord:
        t = unit.transaction
        partner = _partner_in(unit, partner_id)
        if partner is None:
            raise NotFound(PARTNER_NOT_FOUND)
        now = utcnow()
        cap = body.therapy_sessions_cap if body.therapy_sessions_cap is not None else partner.therapy_sessions_cap
        updated = partner.model_copy(update={"is_active": body.active, "therapy_sessions_cap": cap, "updated_at": now})
        changes: dict[str, Any] = {"isActive": body.active, "therapySessionsCap": cap, "updatedAt": now}
        if body.active == partner.is_active:
            unit.update(PartnersRepository().ref(partner.id), changes)
            return updated
        # all reads first (Firestore transactions), then every write
        admins = admins_repo.for_partner(partner.id, transaction=t)
        admin_users = links.admins_of_partner(partner.id, transaction=t)
        if body.active:
            accesses = accesses_repo.switched_off_with_partner(partner.id, transaction=t)
            admin_changes = reactivation_changes({a.id: a.deactivated_with_partner for a in admins})
            access_changes = reactivation_changes({a.id: a.deactivated_with_partner for a in accesses})
        else:
            accesses = accesses_repo.for_partner(partner.id, active=True, transaction=t)
            admin_changes = deactivation_changes({a.id: a.active for a in admins})
            access_changes = deactivation_changes({a.id: a.active for a in accesses})
        unit.update(PartnersRepository().ref(partner.id), changes)
        updates_for(unit, admins_repo, {i: {**c, "updatedAt": now} for i, c in admin_changes.items()})
        updates_for(unit, accesses_repo, {i: {**c, "updatedAt": now} for i, c in access_changes.items()})
        admins_by_id = {
            a.id: a.model_copy(update={"active": admin_changes[a.id]["active"]}) if a.id in admin_changes else a
            for a in admins
        }
        for doc_id, user in admin_users:
            summary = user.partner_admin
            admin = admins_by_id.get(summary.id) if summary is not None else None
            if admin is not None:
                links.set_admin_summary(unit, doc_id, admin_summary(admin, updated))
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

    return partner_out(run_in_transaction(work))


def create_feature(body: CreateFeature) -> FeatureOut:
    features, names = FeaturesRepository(), FeatureNamesRepository()
    now = utcnow()
    feature = FeatureRecord(id=str(uuid.uuid4()), name=body.name, created_at=now, updated_at=now)
    _create_named(names, claim_id(feature.name), features, feature.id, feature, FEATURE_ALREADY_EXISTS)
    return feature_out(feature)


def list_features() -> list[FeatureOut]:
    return [feature_out(f) for f in FeaturesRepository().all()]


def get_feature(feature_id: str) -> FeatureOut:
    feature = FeaturesRepository().get(feature_id) if is_valid_doc_id(feature_id) else None
    if feature is None:
        raise NotFound(FEATURE_NOT_FOUND)
    return feature_out(feature)


def _features_doc(features: list[PartnerFeatureRecord]) -> list[dict[str, Any]]:
    return [f.model_dump(by_alias=True) for f in features]


def create_partner_feature(body: CreatePartnerFeature) -> PartnerFeatureOut:
    partners, features, links_repo = PartnersRepository(), FeaturesRepository(), PartnerFeaturesRepository()

    def work(unit: UnitOfWork) -> PartnerFeatureRecord:
        wanted = [(repo, doc_id) for repo, doc_id in ((partners, body.partner_id), (features, body.feature_id))]
        valid = [(repo, doc_id) for repo, doc_id in wanted if is_valid_doc_id(doc_id)]
        fetched = fetch_many(valid, transaction=unit.transaction)
        partner = fetched.get((partners.collection_name, body.partner_id))
        feature = fetched.get((features.collection_name, body.feature_id))
        if not isinstance(partner, PartnerRecord):
            raise NotFound(PARTNER_NOT_FOUND)
        if not isinstance(feature, FeatureRecord):
            raise NotFound(FEATURE_NOT_FOUND)
        if any(f.feature_id == feature.id for f in partner.features):
            raise Conflict(PARTNER_FEATURE_ALREADY_EXISTS)
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
        unit.create(links_repo.ref(record.id), links_repo.to_doc(record))
        unit.update(partners.ref(partner.id), {"features": _features_doc([*partner.features, record])})
        return record

    return partner_feature_out(run_in_transaction(work))


def update_partner_feature(partner_feature_id: str, active: bool) -> PartnerFeatureOut:
    partners, links_repo = PartnersRepository(), PartnerFeaturesRepository()

    def work(unit: UnitOfWork) -> PartnerFeatureRecord:
        record = links_repo.get(partner_feature_id, transaction=unit.transaction)
        if record is None:
            raise NotFound(PARTNER_FEATURE_NOT_FOUND)
        partner = partners.get(record.partner_id, transaction=unit.transaction)
        if partner is None:
            raise NotFound(PARTNER_FEATURE_NOT_FOUND)
        now = utcnow()
        updated = record.model_copy(update={"active": active, "updated_at": now})
        embedded = [updated if f.id == record.id else f for f in partner.features]
        if all(f.id != record.id for f in partner.features):
            embedded.append(updated)
        unit.update(links_repo.ref(record.id), {"active": active, "updatedAt": now})
        unit.update(partners.ref(partner.id), {"features": _features_doc(embedded)})
        return updated

    return partner_feature_out(run_in_transaction(work))


def automatic_access_feature(partner_name: str) -> PartnerFeatureOut | None:
    """The partner's AUTOMATIC_ACCESS_CODE partner feature (active or not: the frontend reads `active`), or None."""
    partner = PartnersRepository().by_name(name_key(partner_name))
    feature = partner.feature_named(AUTOMATIC_ACCESS_CODE) if partner is not None else None
    return partner_feature_out(feature) if feature is not None else None


def _new_admin_in(unit: UnitOfWork, user: UserRecord, partner_id: str) -> tuple[PartnerAdminRecord, PartnerRecord]:
    """Read the partner, then create the admin record (the caller writes the user's summary).

    Raises `Partner does not exist` / `User is already a partner admin` (400).
    """
    partner = _partner_in(unit, partner_id)
    if partner is None:
        raise BadRequest(PARTNER_DOES_NOT_EXIST)
    if user.partner_admin is not None:
        raise BadRequest(ALREADY_PARTNER_ADMIN)
    now = utcnow()
    admin = PartnerAdminRecord(
        id=str(uuid.uuid4()), user_id=user.id, partner_id=partner.id, created_at=now, updated_at=now
    )
    admins = PartnerAdminsRepository()
    unit.create(admins.ref(admin.id), admins.to_doc(admin))
    return admin, partner


def create_partner_admin(user_id: str, partner_id: str) -> PartnerAdminOut:
    links = UserLinks()

    def work(unit: UnitOfWork) -> PartnerAdminOut:
        found = links.find(user_id, transaction=unit.transaction) if is_valid_doc_id(user_id) else None
        if found is None or found[1].deleted_at is not None:
            raise BadRequest(USER_DOES_NOT_EXIST)
        doc_id, user = found
        admin, partner = _new_admin_in(unit, user, partner_id)
        links.set_admin_summary(unit, doc_id, admin_summary(admin, partner))
        return partner_admin_out(admin, partner)

    return run_in_transaction(work)


def update_partner_admin(partner_admin_id: str, active: bool) -> PartnerAdminOut:
    """Switch an admin on or off. An explicit change also clears the mark a partner deactivation left."""
    admins, links = PartnerAdminsRepository(), UserLinks()

    def work(unit: UnitOfWork) -> PartnerAdminOut:
        t = unit.transaction
        admin = admins.get(partner_admin_id, transaction=t)
        if admin is None:
            raise BadRequest(PARTNER_ADMIN_DOES_NOT_EXIST)
        partner = PartnersRepository().get(admin.partner_id, transaction=t)
        found = links.find(admin.user_id, transaction=t)
        if partner is None:
            raise BadRequest(PARTNER_ADMIN_DOES_NOT_EXIST)
        now = utcnow()
        updated = admin.model_copy(update={"active": active, "deactivated_with_partner": False, "updated_at": now})
        unit.update(admins.ref(admin.id), {"active": active, "deactivatedWithPartner": False, "updatedAt": now})
        if found is not None:
            links.set_admin_summary(unit, found[0], admin_summary(updated, partner))
        return partner_admin_out(updated, partner)

    return run_in_transaction(work)


def remove_partner_admin_of(user_id: str) -> int:
    """A user was erased: their partner-admin record goes too (the accesses they created keep their data).

    Idempotent; the user document is already gone, so only the admin records are touched.
    """

    def work(unit: UnitOfWork) -> int:
        admins = PartnerAdminsRepository()
        records = admins.for_user(user_id, transaction=unit.transaction)
        for record in records:
            unit.delete(admins.ref(record.id))
        return len(records)

    return run_in_transaction(work)
