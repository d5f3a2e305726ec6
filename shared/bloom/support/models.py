"""The support area's stored tickets, comments and ticket counter, and the SLA rules (pure: no I/O).

SLA by priority, from the ticket's creation: first response (the first comment by a practice admin that the
requester can read) and resolution (status resolved or closed). A target is breached when it is met after its due
time, or not met by then; each breach is recorded once on the ticket (`*_breached_at`), and `next_check_at` is
the earliest due time still to watch, which the breach job queries.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bloom.core.models import CamelModel
from bloom.messaging.schemas import Moderation
from bloom.support.events import BreachKind
from bloom.support.schemas import Comment, Priority, Ticket, TicketStatus, TicketSummary
from bloom.users.schemas import UserRecord

FIRST_RESPONSE_SLA: dict[Priority, timedelta] = {
    "urgent": timedelta(hours=1),
    "high": timedelta(hours=4),
    "normal": timedelta(days=1),
    "low": timedelta(days=2),
}
RESOLUTION_SLA: dict[Priority, timedelta] = {
    "urgent": timedelta(days=1),
    "high": timedelta(days=3),
    "normal": timedelta(days=7),
    "low": timedelta(days=14),
}
DONE: tuple[TicketStatus, ...] = ("resolved", "closed")


def due_times(priority: Priority, created_at: datetime) -> tuple[datetime, datetime]:
    """(first response due, resolution due) for a ticket of this priority created then."""
    return created_at + FIRST_RESPONSE_SLA[priority], created_at + RESOLUTION_SLA[priority]


class TicketRecord(Ticket):
    """`supportTickets/{id}`."""

    requester_uid: str  # the Firebase uid of the requester's inbox, for reply notices
    moderation: Moderation
    first_response_breached_at: datetime | None = None
    resolution_breached_at: datetime | None = None
    next_check_at: datetime | None = None  # the earliest SLA due time not yet met nor recorded as breached

    def out(self) -> Ticket:
        return Ticket.model_validate(self.model_dump(include=set(Ticket.model_fields)))

    def summary(self) -> TicketSummary:
        return TicketSummary.model_validate(self.model_dump(include=set(TicketSummary.model_fields)))

    def new_breaches(self, now: datetime) -> list[tuple[BreachKind, datetime]]:
        """The SLAs missed by `now` (met late, or not met) and not recorded yet, with their due times."""
        missed: list[tuple[BreachKind, datetime]] = []
        if self.first_response_breached_at is None and self.first_response_due_at <= (self.first_responded_at or now):
            missed.append(("first_response", self.first_response_due_at))
        if self.resolution_breached_at is None and self.resolution_due_at <= (self.resolved_at or now):
            missed.append(("resolution", self.resolution_due_at))
        return missed

    def with_breaches(self, missed: list[tuple[BreachKind, datetime]], now: datetime) -> TicketRecord:
        changes: dict[str, object] = {}
        for kind, _ in missed:
            changes[f"{kind}_breached_at"] = now
        ticket = self.model_copy(update={**changes, "breached": self.breached or bool(missed)})
        return ticket.model_copy(update={"next_check_at": ticket.next_check()})

    def next_check(self) -> datetime | None:
        """When the breach job should look at this ticket next (None: nothing left to watch)."""
        watch = []
        if self.first_response_breached_at is None and self.first_responded_at is None:
            watch.append(self.first_response_due_at)
        if self.resolution_breached_at is None and self.resolved_at is None:
            watch.append(self.resolution_due_at)
        return min(watch, default=None)

    def reprioritised(self, priority: Priority) -> TicketRecord:
        """Due times follow the new priority (counted from creation); breaches already recorded stay."""
        first_due, resolution_due = due_times(priority, self.created_at)
        ticket = self.model_copy(
            update={"priority": priority, "first_response_due_at": first_due, "resolution_due_at": resolution_due}
        )
        return ticket.model_copy(update={"next_check_at": ticket.next_check()})

    def moved_to(self, status: TicketStatus, now: datetime) -> TicketRecord:
        """Resolving (or closing) stamps `resolved_at` once; reopening clears it."""
        resolved_at = (self.resolved_at or now) if status in DONE else None
        ticket = self.model_copy(update={"status": status, "resolved_at": resolved_at})
        return ticket.model_copy(update={"next_check_at": ticket.next_check()})

    def responded(self, now: datetime) -> TicketRecord:
        if self.first_responded_at is not None:
            return self
        ticket = self.model_copy(update={"first_responded_at": now})
        return ticket.model_copy(update={"next_check_at": ticket.next_check()})


class CommentRecord(Comment):
    """`supportComments/{id}`."""

    moderation: Moderation

    def out(self) -> Comment:
        return Comment.model_validate(self.model_dump(include=set(Comment.model_fields)))


class TicketCounter(CamelModel):
    """`supportCounters/tickets`: the last ticket number given, changed only in the creating transaction."""

    last: int


def roles_of(user: UserRecord, *, has_assignments_as_patient: bool) -> list[str]:
    """The roles the support console shows for a user."""
    roles = [
        role
        for role, held in (
            ("super_admin", user.is_super_admin),
            ("practice_admin", user.practice_admin),
            ("therapist", user.therapist_profile_id is not None),
            ("partner_admin", user.is_partner_admin),
        )
        if held
    ]
    if has_assignments_as_patient:
        roles.insert(0, "patient")
    return roles or ["user"]
