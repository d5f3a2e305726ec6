"""Partners, features, partner features and partner admins in Firestore, and the partner links kept on users.

The user document (`users/{authUid}`) belongs to the accounts area; this module only touches the fields
the partners area keeps up to date there: `partnerAdmin` (summary), `partnerAccessIds` and `partnerIds`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from bloom.models.partner import (
    FeatureRecord,
    NameClaim,
    PartnerAdminRecord,
    PartnerFeatureRecord,
    PartnerRecord,
)
from bloom.models.user import PartnerAdminSummary, UserRecord
from bloom.repositories.users import UsersRepository
from bloom.store.repository import Filter, Repository
from bloom.store.transaction import UnitOfWork

if TYPE_CHECKING:
    from google.cloud.firestore import Transaction

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
