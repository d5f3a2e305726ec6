"""Partners, features, partner features, partner admins, partner accesses and access codes in Firestore.

`accessCodes/{CODE}` is the uniqueness claim of a code (created in the transaction that creates the access)
and points at the access and its partner, so a redemption reads both in one batched round trip. Names are
unique through claim documents too (`partnerNames/{hash}`, `featureNames/{hash}`).

The partner fields kept on user documents (admin summary, access ids, the copies of accesses in the profile
projection) belong to the users area's document: this area's services change them through `bloom.users.service`,
joined to their unit of work. `catalogues/partners` holds a copy of every partner (see `PartnerCatalogue`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from bloom.partners.models import (
    AccessCodeClaim,
    FeatureRecord,
    NameClaim,
    PartnerAccessRecord,
    PartnerAdminRecord,
    PartnerCatalogue,
    PartnerFeatureRecord,
    PartnerRecord,
)
from bloom.platform.store.indexes import unindexed_field
from bloom.platform.store.repository import ChangeValue, Filter, Repository, chunks
from bloom.platform.store.unit_of_work import UnitOfWork, repository

CATALOGUE_ID = "partners"


def claim_id(name: str) -> str:
    """A uniqueness-claim document id for any name: a hash, so no character of the name can break the path."""
    return hashlib.sha256(name.encode()).hexdigest()


class PartnersRepository(Repository[PartnerRecord]):
    collection_name = "partners"
    model = PartnerRecord

    def by_name(self, name_key: str) -> PartnerRecord | None:
        found = self.find_one("nameKey", name_key)
        return found[1] if found else None

    def all(self) -> list[PartnerRecord]:
        return sorted((item for _, item in self.select()), key=lambda p: (p.created_at, p.id))


class PartnerNamesRepository(Repository[NameClaim]):
    collection_name = "partnerNames"
    model = NameClaim


class FeaturesRepository(Repository[FeatureRecord]):
    collection_name = "features"
    model = FeatureRecord

    def all(self) -> list[FeatureRecord]:
        return sorted((item for _, item in self.select()), key=lambda f: (f.created_at, f.id))


class FeatureNamesRepository(Repository[NameClaim]):
    collection_name = "featureNames"
    model = NameClaim


class PartnerFeaturesRepository(Repository[PartnerFeatureRecord]):
    collection_name = "partnerFeatures"
    model = PartnerFeatureRecord


class PartnerAdminsRepository(Repository[PartnerAdminRecord]):
    collection_name = "partnerAdmins"
    model = PartnerAdminRecord

    def for_partner(self, partner_id: str) -> list[PartnerAdminRecord]:
        return [item for _, item in self.select([Filter("partnerId", "==", partner_id)])]

    def for_user(self, user_id: str) -> list[PartnerAdminRecord]:
        return [item for _, item in self.select([Filter("userId", "==", user_id)])]

    def for_users(self, user_ids: Iterable[str]) -> list[PartnerAdminRecord]:
        return self.where_in("userId", user_ids)


class PartnerAccessesRepository(Repository[PartnerAccessRecord]):
    collection_name = "partnerAccesses"
    model = PartnerAccessRecord

    def for_partner(self, partner_id: str, *, active: bool | None = None) -> list[PartnerAccessRecord]:
        filters = [Filter("partnerId", "==", partner_id)]
        if active is not None:
            filters.append(Filter("active", "==", active))
        return [item for _, item in self.select(filters)]

    def switched_off_with_partner(self, partner_id: str) -> list[PartnerAccessRecord]:
        filters = [Filter("partnerId", "==", partner_id), Filter("deactivatedWithPartner", "==", True)]
        return [item for _, item in self.select(filters)]

    def assigned_to(self, user_id: str) -> list[PartnerAccessRecord]:
        return [item for _, item in self.select([Filter("userId", "==", user_id)])]

    def assigned_to_any(self, user_ids: Iterable[str]) -> list[PartnerAccessRecord]:
        return self.where_in("userId", user_ids)

    def unassigned_created_by(self, partner_admin_ids: Iterable[str]) -> list[PartnerAccessRecord]:
        found: list[PartnerAccessRecord] = []
        for batch in chunks(partner_admin_ids):
            rows = self.select([Filter("partnerAdminId", "in", batch), Filter("userId", "==", None)])
            found.extend(item for _, item in rows if item.released_at is None)
        return found

    def search(self, equals: dict[str, object], limit: int) -> list[PartnerAccessRecord]:
        """Equality filters only (the model's field names → values), so any combination is served by single-field
        indexes."""
        rows = self.select([Filter(self.stored_name(name), "==", value) for name, value in equals.items()], limit=limit)
        return sorted((item for _, item in rows), key=lambda a: (a.created_at, a.id))


class AccessCodesRepository(Repository[AccessCodeClaim]):
    collection_name = "accessCodes"
    model = AccessCodeClaim

    def codes_of_partner(self, partner_id: str) -> list[str]:
        return [code for code, _ in self.select([Filter("partnerId", "==", partner_id)])]

    def copy_access_changes(self, code: str, stored: dict[str, Any]) -> None:
        """Apply an access's stored changes to the copy of it this claim keeps."""
        self._update_stored(code, {f"access.{name}": value for name, value in stored.items()})


class PartnerCatalogueRepository(Repository[PartnerCatalogue]):
    collection_name = "catalogues"
    model = PartnerCatalogue


unindexed_field(PartnerCatalogueRepository.collection_name, "partners")


class PartnersWork(UnitOfWork):
    partners = repository(PartnersRepository)
    partner_names = repository(PartnerNamesRepository)
    features = repository(FeaturesRepository)
    feature_names = repository(FeatureNamesRepository)
    partner_features = repository(PartnerFeaturesRepository)
    admins = repository(PartnerAdminsRepository)
    accesses = repository(PartnerAccessesRepository)
    codes = repository(AccessCodesRepository)
    catalogue = repository(PartnerCatalogueRepository)

    def update_access(self, access: PartnerAccessRecord, **changes: ChangeValue) -> PartnerAccessRecord:
        """Change fields of an access (the model's names, plain values) and its copy in its code's claim; returns
        the access as changed. The holder's profile projection is the service's step (`access_changes.change_access`).
        """
        self.accesses.change(access.id, **changes)
        if access.access_code:
            stored = self.accesses.stored_changes(changes)
            self.codes.copy_access_changes(access.access_code, stored)
        return access.model_copy(update=changes)

    def publish_partner(self, partner: PartnerRecord) -> None:
        """Write the partner's entry of the catalogue (with the transaction that writes the partner)."""
        self.catalogue.put_entry(CATALOGUE_ID, "partners", partner.id, self.partners.to_doc(partner))

    def copy_partner_to_codes(self, partner: PartnerRecord, codes: list[str]) -> None:
        """Rewrite the partner copy of each code's claim (the codes read beforehand: reads come first)."""
        for code in codes:
            self.codes.change(code, partner=partner)
