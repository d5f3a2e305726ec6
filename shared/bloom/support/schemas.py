"""What the support area shows callers: tickets, their comments, the queue's filters and pages, and the user
lookup of the support console."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from bloom.core.models import CamelModel, RequestModel
from bloom.platform.cursors import Cursor
from bloom.practice.schemas import Assignment

Category = Literal["account", "billing", "technical", "clinical", "other"]
Priority = Literal["low", "normal", "high", "urgent"]
TicketStatus = Literal["open", "pending", "resolved", "closed"]
OPEN_STATUSES: tuple[TicketStatus, ...] = ("open", "pending")
Id = Annotated[str, Field(min_length=1, max_length=128)]
MAX_ATTACHMENTS = 10


class CreateTicket(RequestModel):
    """`POST support/tickets`."""

    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=10_000)
    category: Category
    priority: Priority = "normal"
    attachment_ids: list[Id] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)


class AddComment(RequestModel):
    """`POST support/tickets/:id/comments`: `internal` notes are for practice admins only."""

    body: str = Field(min_length=1, max_length=10_000)
    internal: bool = False


class UpdateTicket(RequestModel):
    """`PATCH support/tickets/:id` (practice admins): `assigneeId: null` unassigns."""

    status: TicketStatus | None = None
    priority: Priority | None = None
    assignee_id: Id | None = None


class TicketsQuery(RequestModel):
    """`GET support/tickets`: a requester's own tickets; practice admins see every ticket, with filters."""

    status: TicketStatus | None = None
    priority: Priority | None = None
    assignee_id: Id | None = None
    breached: bool | None = None
    cursor: Cursor | None = None
    limit: int = Field(20, ge=1, le=100)


class Ticket(CamelModel):
    id: str
    number: int
    requester_id: str
    subject: str
    body: str  # as moderated: contact details blurred, profanity masked
    category: Category
    priority: Priority
    status: TicketStatus
    assignee_id: str | None = None
    attachment_ids: list[str] = Field(default_factory=list)
    first_response_due_at: datetime
    resolution_due_at: datetime
    first_responded_at: datetime | None = None
    resolved_at: datetime | None = None
    breached: bool = False
    created_at: datetime
    updated_at: datetime


class Comment(CamelModel):
    id: str
    ticket_id: str
    author_id: str | None  # None once its author was erased
    body: str  # as moderated
    internal: bool
    created_at: datetime


class TicketDetail(Ticket):
    """`GET support/tickets/:id`: the ticket and its comments, oldest first (a requester never gets internal ones)."""

    comments: list[Comment]


class TicketPage(CamelModel):
    items: list[Ticket]
    next_cursor: str | None


class UsersLookupQuery(RequestModel):
    """`GET admin/users?q=`: an exact email or a user id."""

    q: str = Field(min_length=1, max_length=320)


class LookedUpUser(CamelModel):
    id: str
    email: str
    name: str
    created_at: datetime | None
    roles: list[str]
    disabled: bool


class TicketSummary(CamelModel):
    id: str
    number: int
    status: TicketStatus
    priority: Priority
    breached: bool


class UserLookup(CamelModel):
    user: LookedUpUser
    assignments: list[Assignment]  # as a patient and as a therapist, newest first
    open_tickets: list[TicketSummary]
    last_active_at: datetime | None
