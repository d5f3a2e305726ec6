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
