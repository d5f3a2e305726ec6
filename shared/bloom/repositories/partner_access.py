"""Partner accesses and their access codes in Firestore.

`accessCodes/{CODE}` is the uniqueness claim of a code (created with `create` in the transaction that creates
the access), and points at the access and its partner so a redemption reads both in one batched round trip.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from bloom.models.partner import AccessCodeClaim, PartnerAccessRecord, PartnerRecord
from bloom.repositories.partners import PartnersRepository, chunks
from bloom.store.batch import fetch_many
from bloom.store.repository import Filter, Repository

if TYPE_CHECKING:
    from google.cloud.firestore import Transaction


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
