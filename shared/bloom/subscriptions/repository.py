"""The only code that knows the subscriptions area's documents (see `models` for what they hold)."""

from __future__ import annotations

from bloom.platform.store.repository import Filter, Repository
from bloom.platform.store.unit_of_work import UnitOfWork, repository
from bloom.subscriptions.models import ClaimRecord, SubscriptionRecord


class SubscriptionsRepository(Repository[SubscriptionRecord]):
    collection_name = "subscriptionUsers"
    model = SubscriptionRecord

    def of_user(self, user_id: str) -> list[SubscriptionRecord]:
        return [record for _, record in self.select([Filter("userId", "==", user_id)])]


class ClaimsRepository(Repository[ClaimRecord]):
    collection_name = "whatsappClaims"  # one per user id
    model = ClaimRecord


class SubscriptionsWork(UnitOfWork):
    subscriptions = repository(SubscriptionsRepository)
    claims = repository(ClaimsRepository)
