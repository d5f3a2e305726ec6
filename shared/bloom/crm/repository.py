"""The only code that knows the crm area's documents: `crmContacts/{userId}` (see `models`)."""

from __future__ import annotations

from bloom.crm.models import CrmContactRecord
from bloom.platform.store.repository import Repository
from bloom.platform.store.unit_of_work import UnitOfWork, repository


class ContactsRepository(Repository[CrmContactRecord]):
    collection_name = "crmContacts"
    model = CrmContactRecord


class CrmWork(UnitOfWork):
    contacts = repository(ContactsRepository)
