"""Support tickets: a requester's tickets and comments, the admin queue, SLA breaches and erasure.

A ticket's body and comments are moderated by messaging's moderation (`bloom.messaging.moderation`) before the
transaction: what is stored is what was delivered (contact details blurred, profanity masked); a blocked text is
refused (400), and crisis language makes the ticket urgent and flags it to the safety team (`message.flagged`,
ids only). Ticket numbers come from a counter document changed in the creating transaction (gap-free). Someone
else's ticket is answered like an unknown one (404), and internal comments never reach a requester.

Every change ends in `_settled`: SLAs missed by now are recorded on the ticket with one `support.sla-breached`
event each, in the same transaction, so however often the breach job fires (or a late reply races it), each
breach is announced once.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.files import errors as file_errors
from bloom.files import service as files
from bloom.files.schemas import DownloadLink
from bloom.messaging.events import MESSAGE_FLAGGED, MessageFlagged
from bloom.messaging.moderation import Verdict, moderate
from bloom.notifications import inbox
from bloom.platform import cursors
from bloom.platform.auth import FORBIDDEN
from bloom.support import errors
from bloom.support.events import (
    SLA_BREACHED,
    TICKET_FIRST_RESPONSE,
    TICKET_OPENED,
    TICKET_RESOLVED,
    SlaBreached,
    TicketFirstResponse,
    TicketOpened,
    TicketResolved,
)
from bloom.support.models import CommentRecord, TicketCounter, TicketRecord, due_times
from bloom.support.repository import QUEUE_FILTERS, TICKET_COUNTER, SupportWork
from bloom.support.schemas import (
    OPEN_STATUSES,
    AddComment,
    Comment,
    CreateTicket,
    Ticket,
    TicketDetail,
    TicketPage,
    TicketsQuery,
    TicketStatus,
    UpdateTicket,
)
from bloom.users import service as users
from bloom.users.schemas import Caller

_log = get_logger(__name__)
BREACH_CHECKS_PER_RUN = 200


def reply_notification_id(comment_id: str) -> str:
    return f"support-reply-{comment_id}"


def _moderated(text: str) -> Verdict:
    verdict, _ = moderate(text)
    if verdict.state == "blocked":
        raise errors.TICKET_TEXT_BLOCKED.error()
    return verdict


def _flag_in(uow: SupportWork, ticket_id: str, item_id: str, verdict: Verdict, now: datetime) -> None:
    """Crisis language in a ticket or comment reaches the safety team like a flagged message (ids only)."""
    if verdict.flagged_for_safety:
        flagged = MessageFlagged(
            thread_id=f"ticket-{ticket_id}",
            message_id=item_id,
            reasons=list(verdict.reasons),
            flagged_at=now.isoformat(),
        )
        uow.emit(MESSAGE_FLAGGED, flagged)


def _settled(uow: SupportWork, ticket: TicketRecord, now: datetime) -> TicketRecord:
    """The ticket with the SLAs it missed by `now` recorded, one breach event each (in the unit)."""
    missed = ticket.new_breaches(now)
    for kind, due_at in missed:
        breach = SlaBreached(
            ticket_id=ticket.id, number=ticket.number, priority=ticket.priority, kind=kind, due_at=due_at.isoformat()
        )
        uow.emit(SLA_BREACHED, breach)
    return ticket.with_breaches(missed, now)


def _minutes_since(start: datetime, now: datetime) -> int:
    return max(0, int((now - start).total_seconds() // 60))


def _emit_first_response(uow: SupportWork, ticket: TicketRecord, now: datetime) -> None:
    """The first reply the requester can read, announced once (a ticket keeps its first response)."""
    if ticket.first_responded_at is None:
        minutes = _minutes_since(ticket.created_at, now)
        uow.emit(
            TICKET_FIRST_RESPONSE,
            TicketFirstResponse(
                ticket_id=ticket.id, priority=ticket.priority, responded_at=now.isoformat(), minutes=minutes
            ),
        )


def _emit_status_change(uow: SupportWork, ticket: TicketRecord, status: TicketStatus, now: datetime) -> None:
    """State-based, so the open gauge stays exact: resolved only on leaving an open status (open/pending ->
    resolved/closed), opened again only on leaving a done one (reopening); done -> done and open -> open announce
    nothing."""
    was_open, is_open = ticket.status in OPEN_STATUSES, status in OPEN_STATUSES
    if was_open and not is_open:
        minutes = _minutes_since(ticket.created_at, now)
        resolved = TicketResolved(
            ticket_id=ticket.id, priority=ticket.priority, resolved_at=now.isoformat(), minutes=minutes
        )
        uow.emit(TICKET_RESOLVED, resolved)
    elif is_open and not was_open:
        reopened = TicketOpened(ticket_id=ticket.id, priority=ticket.priority, opened_at=now.isoformat(), reopened=True)
        uow.emit(TICKET_OPENED, reopened)


def _visible(caller: Caller, ticket: TicketRecord | None) -> TicketRecord:
    """The ticket if it is the caller's or the caller is a practice admin; 404 otherwise."""
    if ticket is None or not (caller.is_practice_admin or ticket.requester_id == caller.user.id):
        raise errors.TICKET_NOT_FOUND.error()
    return ticket


def create_ticket(caller: Caller, body: CreateTicket, *, now: datetime | None = None) -> Ticket:
    """`POST support/tickets`: numbered in the creating transaction, due times from its priority."""
    verdict = _moderated(body.body)
    moment = now or utcnow()
    priority = "urgent" if verdict.flagged_for_safety else body.priority
    first_due, resolution_due = due_times(priority, moment)
    ticket_id = uuid.uuid4().hex

    def work(uow: SupportWork) -> TicketRecord:
        counter = uow.counters.get(TICKET_COUNTER)
        number = (counter.last if counter is not None else 0) + 1
        files.attach_in(uow, body.attachment_ids, caller.user.id, [])  # the requester's own available uploads
        record = TicketRecord(
            id=ticket_id,
            number=number,
            requester_id=caller.user.id,
            requester_uid=caller.auth_uid,
            subject=body.subject,
            body=verdict.delivered,
            moderation=verdict.moderation(),
            category=body.category,
            priority=priority,
            status="open",
            attachment_ids=list(dict.fromkeys(body.attachment_ids)),
            first_response_due_at=first_due,
            resolution_due_at=resolution_due,
            created_at=moment,
            updated_at=moment,
        )
        record = record.model_copy(update={"next_check_at": record.next_check()})
        uow.counters.save(TICKET_COUNTER, TicketCounter(last=number))
        uow.tickets.create(ticket_id, record)
        uow.emit(TICKET_OPENED, TicketOpened(ticket_id=ticket_id, priority=priority, opened_at=moment.isoformat()))
        _flag_in(uow, ticket_id, ticket_id, verdict, moment)
        return record

    record = SupportWork.run_in_transaction(work)
    _log.info("support ticket created", extra={"ticketId": record.id, "priority": record.priority})
    return record.out()


def list_tickets(caller: Caller, query: TicketsQuery) -> TicketPage:
    """A requester's own tickets; for a practice admin the queue, filtered. Newest first, in cursor pages."""
    after = cursors.decode(query.cursor, cursors.AfterTimeAndId)
    if caller.is_practice_admin:
        equals = {name: getattr(query, name) for name in QUEUE_FILTERS if getattr(query, name) is not None}
    else:
        equals = {"requester_id": caller.user.id}
    with SupportWork() as uow:
        found = uow.tickets.newest_first(equals, after, query.limit + 1)
    page = found[: query.limit]
    last = page[-1] if len(found) > query.limit else None
    next_cursor = cursors.encode(cursors.AfterTimeAndId(at=last.created_at, id=last.id)) if last else None
    return TicketPage(items=[ticket.out() for ticket in page], next_cursor=next_cursor)


def get_ticket(caller: Caller, ticket_id: str) -> TicketDetail:
    with SupportWork() as uow:
        ticket = _visible(caller, uow.tickets.get(ticket_id))
        comments = uow.comments.of_ticket(ticket_id)
    shown = [comment.out() for comment in comments if caller.is_practice_admin or not comment.internal]
    return TicketDetail(**ticket.out().model_dump(), comments=shown)


def attachment_link(caller: Caller, ticket_id: str, upload_id: str) -> DownloadLink:
    """A signed download URL for one of the ticket's attachments, for whoever may read the ticket (the requester
    and practice admins): the upload is the requester's, so the link is asked for in their name."""
    with SupportWork() as uow:
        ticket = _visible(caller, uow.tickets.get(ticket_id))
    if upload_id not in ticket.attachment_ids:
        raise file_errors.UPLOAD_NOT_FOUND.error()
    return files.download_link(ticket.requester_id, upload_id)


def add_comment(caller: Caller, ticket_id: str, body: AddComment, *, now: datetime | None = None) -> Comment:
    """A comment by the requester or a practice admin. An admin's first comment the requester can read is the
    first response; each such reply puts a notice in the requester's inbox (ids only)."""
    if body.internal and not caller.is_practice_admin:
        raise FORBIDDEN.error()
    verdict = _moderated(body.body)
    moment = now or utcnow()
    comment_id = uuid.uuid4().hex

    def work(uow: SupportWork) -> CommentRecord:
        ticket = _visible(caller, uow.tickets.get(ticket_id))
        record = CommentRecord(
            id=comment_id,
            ticket_id=ticket.id,
            author_id=caller.user.id,
            body=verdict.delivered,
            moderation=verdict.moderation(),
            internal=body.internal,
            created_at=moment,
        )
        uow.comments.create(comment_id, record)
        if caller.is_practice_admin and caller.user.id != ticket.requester_id and not body.internal:
            _emit_first_response(uow, ticket, moment)
            ticket = ticket.responded(moment)
            notice = inbox.support_reply(ticket.id, ticket.number)
            inbox.notify_in(uow, ticket.requester_uid, reply_notification_id(comment_id), notice)
        uow.tickets.save(ticket.id, _settled(uow, ticket, moment).model_copy(update={"updated_at": moment}))
        _flag_in(uow, ticket.id, comment_id, verdict, moment)
        return record

    record = SupportWork.run_in_transaction(work)
    _log.info("support comment added", extra={"ticketId": ticket_id, "commentId": comment_id})
    return record.out()


def update_ticket(caller: Caller, ticket_id: str, body: UpdateTicket, *, now: datetime | None = None) -> Ticket:
    """`PATCH support/tickets/:id` (practice admins): status, priority (due times follow) and assignee."""
    moment = now or utcnow()

    def work(uow: SupportWork) -> TicketRecord:
        ticket = _visible(caller, uow.tickets.get(ticket_id))
        if "assignee_id" in body.model_fields_set:
            if body.assignee_id is not None:
                found = users.find_in(uow, body.assignee_id)
                if found is None or not (found[1].practice_admin or found[1].is_super_admin):
                    raise errors.ASSIGNEE_NOT_A_PRACTICE_ADMIN.error()
            ticket = ticket.model_copy(update={"assignee_id": body.assignee_id})
        if body.priority is not None:
            ticket = ticket.reprioritised(body.priority)
        if body.status is not None:
            _emit_status_change(uow, ticket, body.status, moment)
            ticket = ticket.moved_to(body.status, moment)
        settled = _settled(uow, ticket, moment).model_copy(update={"updated_at": moment})
        uow.tickets.save(ticket.id, settled)
        return settled

    record = SupportWork.run_in_transaction(work)
    _log.info("support ticket updated", extra={"ticketId": record.id, "status": record.status})
    return record.out()


def record_breaches(now: datetime) -> int:
    """The breach job: each ticket whose SLA fell due by `now` unmet gets the breach recorded and announced
    (once: a recorded breach is not due again). Returns how many breaches were recorded."""
    with SupportWork() as uow:
        due = uow.tickets.due_for_check(now, BREACH_CHECKS_PER_RUN)
    recorded = 0
    for candidate in due:

        def work(uow: SupportWork, ticket_id: str = candidate.id) -> int:
            ticket = uow.tickets.get(ticket_id)
            if ticket is None:
                return 0
            missed = len(ticket.new_breaches(now))
            if missed:
                uow.tickets.save(ticket.id, _settled(uow, ticket, now))
            return missed

        recorded += SupportWork.run_in_transaction(work)
    if recorded:
        _log.info("support SLA breaches recorded", extra={"breaches": recorded})
    return recorded


def erase_support_of(user_id: str) -> int:
    """A deleted user's tickets go with all their comments (the requester's own words and case). Comments they
    wrote on other people's tickets (as an admin) stay, without their author id, because the requester's record
    needs them; tickets assigned to them are unassigned. Idempotent; returns how many tickets were deleted."""
    with SupportWork() as uow:
        own = uow.tickets.of_requester(user_id)
        written = uow.comments.by_author(user_id)
        assigned = uow.tickets.assigned_to(user_id)
    for ticket in own:
        with SupportWork() as uow:
            for comment in uow.comments.of_ticket(ticket.id):
                uow.comments.delete(comment.id)
            uow.tickets.delete(ticket.id)
    own_ids = {ticket.id for ticket in own}
    with SupportWork() as uow:
        uow.comments.change_each(
            {comment.id: {"author_id": None} for comment in written if comment.ticket_id not in own_ids}
        )
        uow.tickets.change_each({ticket.id: {"assignee_id": None} for ticket in assigned if ticket.id not in own_ids})
    _log.info("support tickets erased", extra={"tickets": len(own)})
    return len(own)
