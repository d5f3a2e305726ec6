"""Access tokens of third-party APIs cached for every instance: `cachedTokens/{name}` (see `platform.token_lease`)."""

from __future__ import annotations

from datetime import datetime

from bloom.core.models import CamelModel
from bloom.platform.store.repository import Repository
from bloom.platform.store.unit_of_work import UnitOfWork, repository


class CachedTokenRecord(CamelModel):
    """One API's token shared by every instance; `refreshing_until` is the lease of the one instance refreshing it."""

    token: str | None = None
    expires_at: datetime | None = None
    refreshing_until: datetime | None = None

    def usable(self, now: datetime) -> str | None:
        """The token while it is still valid at `now`."""
        if self.token is None or self.expires_at is None or self.expires_at <= now:
            return None
        return self.token


class CachedTokensRepository(Repository[CachedTokenRecord]):
    collection_name = "cachedTokens"
    model = CachedTokenRecord


class CachedTokensWork(UnitOfWork):
    tokens = repository(CachedTokensRepository)
