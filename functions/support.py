"""The support console over HTTP: tickets (a requester's own; the admin queue), comments, admin changes, the SLA
breach job and its Slack alert, user lookup, disable and enable; erasure of a deleted user's tickets."""

from __future__ import annotations

from bloom.api import HttpContext, http_function
from bloom.files import errors as file_errors
from bloom.files.schemas import DownloadLink
from bloom.messaging.events import MESSAGE_FLAGGED
from bloom.notifications import service as notifications
from bloom.notifications.slack import SUPPORT
from bloom.platform.cursors import INVALID_CURSOR
from bloom.platform.events import Event
from bloom.platform.http import Empty
from bloom.platform.registry import Capability, Role, Sdk
from bloom.platform.subscriber import event_function, scheduled_function
from bloom.platform.topics import ScheduledRun
from bloom.support import admin_users, errors, service
from bloom.support.events import SLA_BREACHED, TICKET_FIRST_RESPONSE, TICKET_OPENED, TICKET_RESOLVED, SlaBreached
from bloom.support.schemas import (
    AddComment,
    Comment,
    CreateTicket,
    Ticket,
    TicketDetail,
    TicketPage,
    TicketsQuery,
    UpdateTicket,
    UserLookup,
    UsersLookupQuery,
)
from bloom.users.events import USER_DELETED, UserDeleted

TAGS = ("support",)
TICKETS = "/api/v1/practice/support/tickets"
TICKET = f"{TICKETS}/{{ticket_id}}"
ADMIN_USERS = "/api/v1/practice/admin/users"
MODERATION = ("OPENAI_API_KEY",)
WRITE_LIMIT = "30/minute per user"


@http_function(
    "POST",
    TICKETS,
    role=Role.PRACTICE_USER,
    body=CreateTicket,
    response=Ticket,
    summary="Open a support ticket (moderated like messages; SLA due times from its priority)",
    errors=(errors.TICKET_TEXT_BLOCKED, file_errors.ATTACHMENT_NOT_AVAILABLE),
    secrets=MODERATION,
    sdks=(Sdk.REQUESTS, Sdk.PUBSUB),
    emits=(MESSAGE_FLAGGED, TICKET_OPENED),
    rate_limit=WRITE_LIMIT,
    tags=TAGS,
)
def create_ticket(ctx: HttpContext[CreateTicket, Empty]) -> Ticket:
    return service.create_ticket(ctx.caller, ctx.body)


@http_function(
    "GET",
    TICKETS,
    role=Role.PRACTICE_USER,
    query=TicketsQuery,
    response=TicketPage,
    summary="The caller's tickets; for practice admins the queue (status, priority, assigneeId, breached filters)",
    errors=(INVALID_CURSOR,),
    tags=TAGS,
)
def list_tickets(ctx: HttpContext[Empty, TicketsQuery]) -> TicketPage:
    return service.list_tickets(ctx.caller, ctx.query)


@http_function(
    "GET",
    TICKET,
    role=Role.PRACTICE_USER,
    response=TicketDetail,
    summary="A ticket and its comments (internal notes for practice admins only)",
    errors=(errors.TICKET_NOT_FOUND,),
    tags=TAGS,
)
def get_ticket(ctx: HttpContext[Empty, Empty]) -> TicketDetail:
    return service.get_ticket(ctx.caller, ctx.path["ticket_id"])


@http_function(
    "GET",
    f"{TICKET}/attachments/{{upload_id}}/url",
    role=Role.PRACTICE_USER,
    response=DownloadLink,
    summary="A signed download URL (5 minutes) for a ticket's attachment: the requester and practice admins",
    errors=(errors.TICKET_NOT_FOUND, file_errors.UPLOAD_NOT_FOUND, file_errors.UPLOAD_NOT_AVAILABLE),
    sdks=(Sdk.STORAGE,),
    uses=(Capability.UPLOADS_BUCKET, Capability.SIGN_AS_SELF),
    tags=TAGS,
)
def get_ticket_attachment_url(ctx: HttpContext[Empty, Empty]) -> DownloadLink:
    return service.attachment_link(ctx.caller, ctx.path["ticket_id"], ctx.path["upload_id"])


@http_function(
    "POST",
    f"{TICKET}/comments",
    role=Role.PRACTICE_USER,
    body=AddComment,
    response=Comment,
    summary="Comment on a ticket (moderated); an admin's reply notifies the requester in-app",
    errors=(errors.TICKET_NOT_FOUND, errors.TICKET_TEXT_BLOCKED),
    secrets=MODERATION,
    sdks=(Sdk.REQUESTS, Sdk.PUBSUB),
    emits=(MESSAGE_FLAGGED, SLA_BREACHED, TICKET_FIRST_RESPONSE),
    rate_limit=WRITE_LIMIT,
    tags=TAGS,
)
def add_ticket_comment(ctx: HttpContext[AddComment, Empty]) -> Comment:
    return service.add_comment(ctx.caller, ctx.path["ticket_id"], ctx.body)


@http_function(
    "PATCH",
    TICKET,
    role=Role.PRACTICE_ADMIN,
    body=UpdateTicket,
    response=Ticket,
    summary="Change a ticket's status, priority (due times follow) or assignee",
    errors=(errors.TICKET_NOT_FOUND, errors.ASSIGNEE_NOT_A_PRACTICE_ADMIN),
    sdks=(Sdk.PUBSUB,),
    emits=(SLA_BREACHED, TICKET_OPENED, TICKET_RESOLVED),
    tags=TAGS,
)
def update_ticket(ctx: HttpContext[UpdateTicket, Empty]) -> Ticket:
    return service.update_ticket(ctx.caller, ctx.path["ticket_id"], ctx.body)


@scheduled_function(
    "*/5 * * * *",
    summary="Record support tickets' missed SLAs (each once) and announce them",
    sdks=(Sdk.PUBSUB,),
    emits=(SLA_BREACHED,),
)
def record_support_sla_breaches(run: Event[ScheduledRun]) -> None:
    service.record_breaches(run.payload.moment())


@event_function(
    SLA_BREACHED,
    summary="Alert the support team in Slack about a missed SLA (ids only)",
    secrets=(SUPPORT.secret,),
    sdks=(Sdk.REQUESTS,),
)
def slack_support_sla_breached(event: Event[SlaBreached]) -> None:
    breach = event.payload
    notifications.announce_sla_breach(breach.ticket_id, breach.number, breach.priority, breach.kind, breach.due_at)


@http_function(
    "GET",
    ADMIN_USERS,
    role=Role.PRACTICE_ADMIN,
    query=UsersLookupQuery,
    response=UserLookup,
    summary="Look a user up by exact email or id: roles, assignments, open tickets (audited)",
    errors=(errors.LOOKUP_USER_NOT_FOUND,),
    tags=TAGS,
)
def look_up_user(ctx: HttpContext[Empty, UsersLookupQuery]) -> UserLookup:
    return admin_users.look_up_user(ctx.caller, ctx.query.q)


@http_function(
    "POST",
    f"{ADMIN_USERS}/{{user_id}}/disable",
    role=Role.PRACTICE_ADMIN,
    response=UserLookup,
    summary="Disable a user: Firebase account disabled, refresh tokens revoked, next request 401 (audited)",
    errors=(errors.LOOKUP_USER_NOT_FOUND, errors.CANNOT_DISABLE_SELF),
    uses=(Capability.FIREBASE_AUTH_ADMIN,),
    sdks=(Sdk.FIREBASE_AUTH,),
    tags=TAGS,
)
def disable_user(ctx: HttpContext[Empty, Empty]) -> UserLookup:
    return admin_users.set_user_disabled(ctx.caller, ctx.path["user_id"], disabled=True)


@http_function(
    "POST",
    f"{ADMIN_USERS}/{{user_id}}/enable",
    role=Role.PRACTICE_ADMIN,
    response=UserLookup,
    summary="Enable a disabled user again (they sign in anew; tokens from before stay revoked; audited)",
    errors=(errors.LOOKUP_USER_NOT_FOUND, errors.CANNOT_DISABLE_SELF),
    uses=(Capability.FIREBASE_AUTH_ADMIN,),
    sdks=(Sdk.FIREBASE_AUTH,),
    tags=TAGS,
)
def enable_user(ctx: HttpContext[Empty, Empty]) -> UserLookup:
    return admin_users.set_user_disabled(ctx.caller, ctx.path["user_id"], disabled=False)


@event_function(USER_DELETED, summary="Erase a deleted user's support tickets and their comments")
def erase_support_of_deleted_user(event: Event[UserDeleted]) -> None:
    service.erase_support_of(event.payload.user_id)
