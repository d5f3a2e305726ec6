"""Partners, features, partner features and partner admins in Firestore, and the partner links kept on users.

The user document (`users/{authUid}`) belongs to the accounts area; this module only touches the fields
the partners area keeps up to date there: `partnerAdmin` (summary), `partnerAccessIds` and `partnerIds`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from bloom.partners.models import FeatureRecord, NameClaim, PartnerAdminRecord, PartnerFeatureRecord, PartnerRecord
from bloom.platform.store.repository import Filter, Repository
from bloom.platform.store.unit_of_work import UnitOfWork
from bloom.users.repository import UsersRepository
from bloom.users.schemas import PartnerAdminSummary, UserRecord

if TYPE_CHECKING:
    from google.cloud.firestore import Transaction
from typing import TYPE_CHECKING

from bloom.partners.models import AccessCodeClaim, PartnerAccessRecord
from bloom.platform.store.batch import fetch_many

IN_QUERY_LIMIT = 30  # Firestore's maximum number of values in an `in` filter


def chunks(values: Iterable[str], size: int = IN_QUERY_LIMIT) -> Iterator[list[str]]:
    batch: list[str] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def is_valid_doc_id(doc_id: str) -> bool:
    """Ids from request bodies become document paths: anything Firestore would reject counts as unknown."""
    return (
        0 < len(doc_id.encode()) <= 1500
        and "/" not in doc_id
        and doc_id not in (".", "..")
        and not (doc_id.startswith("__") and doc_id.endswith("__"))
    )


def claim_id(name: str) -> str:
    """A uniqueness-claim document id for any name: a hash, so no character of the name can break the path."""
    return hashlib.sha256(name.encode()).hexdigest()


class PartnersRepository(Repository[PartnerRecord]):
    collection_name = "partners"
    model = PartnerRecord

    def by_name(self, name_key: str) -> PartnerRecord | None:
        rows = self.select([Filter("nameKey", "==", name_key)], limit=1)
        return rows[0][1] if rows else None

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

    def for_partner(self, partner_id: str, transaction: Transaction | None = None) -> list[PartnerAdminRecord]:
        return [item for _, item in self.select([Filter("partnerId", "==", partner_id)], transaction=transaction)]

    def for_user(self, user_id: str, transaction: Transaction | None = None) -> list[PartnerAdminRecord]:
        return [item for _, item in self.select([Filter("userId", "==", user_id)], transaction=transaction)]

    def for_users(self, user_ids: Iterable[str]) -> list[PartnerAdminRecord]:
        found: list[PartnerAdminRecord] = []
        for batch in chunks(user_ids):
            found.extend(item for _, item in self.select([Filter("userId", "in", batch)]))
        return found


class UserLinks:
    """The partner fields on user documents. Users are found by their PUBLIC id; writes touch only our fields."""

    def __init__(self) -> None:
        self.users = UsersRepository()

    def find(self, user_id: str, transaction: Transaction | None = None) -> tuple[str, UserRecord] | None:
        """(document id, user) for a public user id."""
        return self.users.find_by_public_id(user_id, transaction=transaction)

    def admins_of_partner(
        self, partner_id: str, transaction: Transaction | None = None
    ) -> list[tuple[str, UserRecord]]:
        return self.users.select([Filter("partnerAdmin.partnerId", "==", partner_id)], transaction=transaction)

    def by_email_prefix(self, prefix: str, max_docs: int) -> list[tuple[str, UserRecord]]:
        """Users whose stored (lower-cased) email starts with `prefix` (a single-field range query, paged)."""
        pages = self.users.with_email_prefix(prefix, page_size=min(max_docs, 500), max_docs=max_docs)
        return [row for page in pages for row in page]

    def set_admin_summary(self, unit: UnitOfWork, doc_id: str, summary: PartnerAdminSummary | None) -> None:
        value = summary.model_dump(by_alias=True) if summary is not None else None
        unit.update(self.users.ref(doc_id), {"partnerAdmin": value})

    def add_access(self, unit: UnitOfWork, doc_id: str, access_id: str, partner_id: str) -> None:
        from google.cloud.firestore import ArrayUnion

        unit.update(
            self.users.ref(doc_id),
            {"partnerAccessIds": ArrayUnion([access_id]), "partnerIds": ArrayUnion([partner_id])},
        )

    def remove_accesses(self, unit: UnitOfWork, doc_id: str, access_ids: list[str]) -> None:
        from google.cloud.firestore import ArrayRemove

        unit.update(self.users.ref(doc_id), {"partnerAccessIds": ArrayRemove(access_ids)})


def updates_for(unit: UnitOfWork, repo: Repository[Any], changes: dict[str, dict[str, Any]]) -> None:
    """Apply field updates (id → fields) to documents of one collection within a transaction."""
    for doc_id, fields in changes.items():
        unit.update(repo.ref(doc_id), fields)


class PartnerAccessesRepository(Repository[PartnerAccessRecord]):
    collection_name = "partnerAccesses"
    model = PartnerAccessRecord

    def for_partner(
        self, partner_id: str, *, active: bool | None = None, transaction: Transaction | None = None
    ) -> list[PartnerAccessRecord]:
        filters = [Filter("partnerId", "==", partner_id)]
        if active is not None:
            filters.append(Filter("active", "==", active))
        return [item for _, item in self.select(filters, transaction=transaction)]

    def switched_off_with_partner(
        self, partner_id: str, transaction: Transaction | None = None
    ) -> list[PartnerAccessRecord]:
        filters = [Filter("partnerId", "==", partner_id), Filter("deactivatedWithPartner", "==", True)]
        return [item for _, item in self.select(filters, transaction=transaction)]

    def assigned_to(self, user_id: str, transaction: Transaction | None = None) -> list[PartnerAccessRecord]:
        return [item for _, item in self.select([Filter("userId", "==", user_id)], transaction=transaction)]

    def assigned_to_any(self, user_ids: Iterable[str]) -> list[PartnerAccessRecord]:
        found: list[PartnerAccessRecord] = []
        for batch in chunks(user_ids):
            found.extend(item for _, item in self.select([Filter("userId", "in", batch)]))
        return found

    def unassigned_created_by(self, partner_admin_ids: Iterable[str]) -> list[PartnerAccessRecord]:
        found: list[PartnerAccessRecord] = []
        for batch in chunks(partner_admin_ids):
            rows = self.select([Filter("partnerAdminId", "in", batch), Filter("userId", "==", None)])
            found.extend(item for _, item in rows if item.released_at is None)
        return found

    def search(self, equals: dict[str, object], limit: int) -> list[PartnerAccessRecord]:
        """Equality filters only (field alias → value), so any combination is served by single-field indexes."""
        rows = self.select([Filter(name, "==", value) for name, value in equals.items()], limit=limit)
        return sorted((item for _, item in rows), key=lambda a: (a.created_at, a.id))


class AccessCodesRepository(Repository[AccessCodeClaim]):
    collection_name = "accessCodes"
    model = AccessCodeClaim

    def access_and_partner(
        self, claim: AccessCodeClaim, transaction: Transaction | None = None
    ) -> tuple[PartnerAccessRecord | None, PartnerRecord | None]:
        """The access a code points at and its partner, in one round trip."""
        accesses, partners = PartnerAccessesRepository(), PartnersRepository()
        fetched = fetch_many(
            [(accesses, claim.partner_access_id), (partners, claim.partner_id)], transaction=transaction
        )
        access = fetched.get((accesses.collection_name, claim.partner_access_id))
        partner = fetched.get((partners.collection_name, claim.partner_id))
        assert access is None or isinstance(access, PartnerAccessRecord)
        assert partner is None or isinstance(partner, PartnerRecord)
        return access, partner
