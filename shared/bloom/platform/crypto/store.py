"""The crypto documents: `dataKeys/{ownerId}` (an owner's data key, wrapped by the KEK) and `searchKeys/current`
(the search key, wrapped the same way). Both collections are the platform's: no area reads them, clients never do
(security rules), and nothing in them is readable without the KEK."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import Field

from bloom.core.models import CamelModel
from bloom.platform.store.repository import Repository, Session
from bloom.platform.store.unit_of_work import UnitOfWork, repository

if TYPE_CHECKING:
    from tink.aead import Aead

SEARCH_KEY_ID = "current"


class DataKeyRecord(CamelModel):
    """An owner's data key: a Tink keyset encrypted by the KEK with the owner id as associated data, base64. A
    destroyed key keeps its tombstone (`wrapped` None) so a later use finds it destroyed instead of making a new
    one."""

    owner_id: str
    wrapped: str | None = Field(repr=False)
    wrapped_at: datetime
    destroyed_at: datetime | None = None


class DataKeysRepository(Repository[DataKeyRecord]):
    collection_name = "dataKeys"
    model = DataKeyRecord

    def __init__(self, session: Session | None = None) -> None:
        super().__init__(session)
        self.opened: dict[str, Aead | None] = {}  # owner -> key read or created in this unit (None: destroyed)


class SearchKeysRepository(Repository[DataKeyRecord]):
    collection_name = "searchKeys"
    model = DataKeyRecord


class KeysWork(UnitOfWork):
    data_keys = repository(DataKeysRepository)
    search_keys = repository(SearchKeysRepository)
