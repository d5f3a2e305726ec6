"""Every repository query that filters on a caller's value finds nothing for text Firestore refuses to query
(near 1,500 bytes: "value … is too large to be used in a query", an InvalidArgument that answered 500), and a
thread id too long to be a document id names no thread's messages. Each query runs on the emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bloom.billing.repository import InvoicesRepository
from bloom.credentialing.models import EMBEDDING_DIMENSION
from bloom.credentialing.repository import ChunksRepository
from bloom.files.repository import UploadsRepository
from bloom.messaging.repository import AuditRepository, MessagesRepository, ThreadsRepository
from bloom.platform.store.repository import Filter
from bloom.practice.repository import TherapistsRepository
from bloom.records.repository import AccessAuditRepository, NotesRepository
from bloom.scheduling.repository import AppointmentsRepository
from bloom.search.repository import EntriesRepository
from bloom.support.repository import TicketsRepository
from bloom.users.repository import UsersRepository
from infra.stack_runner import RunningStack

TOO_LONG = "a" * 1500  # a valid document id, but too long to query for
NO_DOCUMENT_ID = "a" * 1600  # longer than any document id

QUERIES: dict[str, Callable[[], Any]] = {
    "notes of a patient": lambda: NotesRepository().page_of(TOO_LONG, shared_only=True, after=None, limit=10),
    "access log of a patient": lambda: AccessAuditRepository().page_of(TOO_LONG, None, 10),
    "invoices matching": lambda: InvoicesRepository().matching({"patient_id": TOO_LONG}, None, 10),
    "therapists discovered": lambda: TherapistsRepository().discover([("userId", TOO_LONG)], None, 10),
    "tickets newest first": lambda: TicketsRepository().newest_first({"requester_id": TOO_LONG}, None, 10),
    "nearest chunks": lambda: ChunksRepository().nearest(TOO_LONG, "ca", [1.0] * EMBEDDING_DIMENSION, 5),
    "search candidates": lambda: EntriesRepository().candidates([TOO_LONG], [TOO_LONG], None, 10),
    "appointments of a party": lambda: AppointmentsRepository().page_of("patient", TOO_LONG, None, None, None, 10),
    "threads of a participant": lambda: ThreadsRepository().page_of(TOO_LONG, None, 10),
    "threads listing a participant": lambda: ThreadsRepository().of_participant(TOO_LONG),
    "audit of a thread": lambda: AuditRepository().page_of_thread(TOO_LONG, None, 10),
    "messages of a thread": lambda: MessagesRepository().newest_first(NO_DOCUMENT_ID, None, 10),
    "messages of a sender": lambda: MessagesRepository().sent_by("thread", TOO_LONG),
    "messages of a sender in a thread": lambda: MessagesRepository().sent_by(NO_DOCUMENT_ID, "sender"),
    "uploads shared with a reader": lambda: UploadsRepository().shared_with(TOO_LONG, 10),
    "users scanned": lambda: list(UsersRepository().scan([Filter("id", "==", TOO_LONG)], page_size=10, max_docs=10)),
    "users counted": lambda: UsersRepository().count([Filter("id", "==", TOO_LONG)]),
}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_a_value_too_long_to_query_finds_nothing(name: str, stack: RunningStack) -> None:
    assert not QUERIES[name]()


def test_a_list_finds_what_its_queryable_values_match(stack: RunningStack) -> None:
    """`in` drops the values Firestore refuses and matches on the rest."""
    UsersRepository().collection().document("u1").set({"id": "user-1"})
    assert UsersRepository().count([Filter("id", "in", [TOO_LONG, "user-1"])]) == 1
