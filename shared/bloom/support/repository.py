"""The support area's documents (server only, `firestore.rules` denies clients): `supportTickets/{id}`,
`supportComments/{id}` and the ticket counter `supportCounters/tickets`."""

from __future__ import annotations

from datetime import datetime
from itertools import combinations
from typing import Any

from bloom.platform.cursors import AfterTimeAndId
from bloom.platform.store.client import count_round_trip
from bloom.platform.store.indexes import CompositeIndex, composite_index
from bloom.platform.store.repository import Filter, Repository
from bloom.platform.store.unit_of_work import UnitOfWork, repository
from bloom.support.models import CommentRecord, TicketCounter, TicketRecord

TICKETS = "supportTickets"
COMMENTS = "supportComments"
COUNTERS = "supportCounters"
TICKET_COUNTER = "tickets"
# The admin queue's filters, by model field name and stored name; every combination has its index (newest first).
QUEUE_FILTERS = {"status": "status", "priority": "priority", "assignee_id": "assigneeId", "breached": "breached"}
_NEWEST_FIRST: tuple[tuple[str, Any], ...] = (("createdAt", "DESCENDING"), ("__name__", "DESCENDING"))
QUEUE_INDEXES: dict[frozenset[str], CompositeIndex] = {
    frozenset(names): composite_index(TICKETS, *((QUEUE_FILTERS[name], "ASCENDING") for name in names), *_NEWEST_FIRST)
    for size in range(1, len(QUEUE_FILTERS) + 1)
    for names in combinations(QUEUE_FILTERS, size)
}
TICKETS_OF_REQUESTER = composite_index(TICKETS, ("requesterId", "ASCENDING"), *_NEWEST_FIRST)
COMMENTS_OF_TICKET = composite_index(COMMENTS, ("ticketId", "ASCENDING"), ("createdAt", "ASCENDING"))
COMMENTS_PER_TICKET = 500
OPEN_TICKETS_SHOWN = 50


class TicketsRepository(Repository[TicketRecord]):
    collection_name = TICKETS
    model = TicketRecord

    def newest_first(self, equals: dict[str, Any], after: AfterTimeAndId | None, limit: int) -> list[TicketRecord]:
        """One query: the tickets matching every (model field name → value) equality, newest first, after a
        cursor. `requester_id` alone is a requester's own list; the queue's filters are `QUEUE_FILTERS`."""
        from google.cloud.firestore import Query
        from google.cloud.firestore_v1.field_path import FieldPath

        query = self.query([Filter(self.stored_name(name), "==", value) for name, value in equals.items()])
        if query is None:
            return []
        query = query.order_by("createdAt", direction=Query.DESCENDING)
        query = query.order_by(FieldPath.document_id(), direction=Query.DESCENDING)
        if after is not None:
            query = query.start_after({"createdAt": after.at, FieldPath.document_id(): self.ref(after.id)})
        count_round_trip()
        return [TicketRecord.model_validate(s.to_dict()) for s in query.limit(limit).stream()]

    def due_for_check(self, now: datetime, limit: int) -> list[TicketRecord]:
        """Tickets with an SLA due by `now` that is neither met nor recorded as breached, the longest due first."""
        rows = self.select([Filter("nextCheckAt", "<=", now)], order_by=[("nextCheckAt", "ASCENDING")], limit=limit)
        return [ticket for _, ticket in rows]

    def open_of_requester(self, requester_id: str) -> list[TicketRecord]:
        rows = self.select([Filter("requesterId", "==", requester_id)], limit=OPEN_TICKETS_SHOWN * 4)
        return [ticket for _, ticket in rows if ticket.status in ("open", "pending")][:OPEN_TICKETS_SHOWN]

    def of_requester(self, requester_id: str) -> list[TicketRecord]:
        return [ticket for _, ticket in self.select([Filter("requesterId", "==", requester_id)])]

    def assigned_to(self, assignee_id: str) -> list[TicketRecord]:
        return [ticket for _, ticket in self.select([Filter("assigneeId", "==", assignee_id)])]


class CommentsRepository(Repository[CommentRecord]):
    collection_name = COMMENTS
    model = CommentRecord

    def of_ticket(self, ticket_id: str) -> list[CommentRecord]:
        """Oldest first."""
        rows = self.select(
            [Filter("ticketId", "==", ticket_id)],
            order_by=[("createdAt", "ASCENDING")],
            limit=COMMENTS_PER_TICKET,
            index=COMMENTS_OF_TICKET,
        )
        return [comment for _, comment in rows]

    def by_author(self, author_id: str) -> list[CommentRecord]:
        return [comment for _, comment in self.select([Filter("authorId", "==", author_id)])]


class CountersRepository(Repository[TicketCounter]):
    collection_name = COUNTERS
    model = TicketCounter


class SupportWork(UnitOfWork):
    tickets = repository(TicketsRepository)
    comments = repository(CommentsRepository)
    counters = repository(CountersRepository)
