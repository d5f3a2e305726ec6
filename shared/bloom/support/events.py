"""Events the support area publishes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from bloom.platform.topics import declare_topic

BreachKind = Literal["first_response", "resolution"]


class SlaBreached(BaseModel):
    """A ticket missed an SLA: ids and the kind only (the Slack alert shows nothing else)."""

    ticket_id: str
    number: int
    priority: str
    kind: BreachKind
    due_at: str


SLA_BREACHED = declare_topic(
    "support.sla-breached", SlaBreached, "A support ticket missed its first response or resolution time"
)


class TicketOpened(BaseModel):
    """A ticket became open: created, or reopened from resolved/closed (`reopened`). Ids and times only."""

    ticket_id: str
    priority: str
    opened_at: str
    reopened: bool = False


class TicketFirstResponse(BaseModel):
    """A practice admin's first reply the requester can read: `minutes` from the ticket's creation."""

    ticket_id: str
    priority: str
    responded_at: str
    minutes: int


class TicketResolved(BaseModel):
    """A ticket moved from an open status to resolved or closed: `minutes` from its creation."""

    ticket_id: str
    priority: str
    resolved_at: str
    minutes: int


TICKET_OPENED = declare_topic(
    "support.ticket-opened", TicketOpened, "A support ticket was created or reopened (ids, priority and time only)"
)
TICKET_FIRST_RESPONSE = declare_topic(
    "support.ticket-first-response", TicketFirstResponse, "A support ticket got its first reply from the team"
)
TICKET_RESOLVED = declare_topic(
    "support.ticket-resolved", TicketResolved, "A support ticket moved from an open status to resolved or closed"
)
