"""Messaging over HTTP: threads, moderated messages, reactions, read receipts, the audit; the safety team's
Slack alert and its follow-up job; erasure.

Clients receive messages, type and show presence through Firestore listeners under `firestore.rules`. Every
write is rate-limited per user, well above what a person does (see docs/messaging.md).
"""

from __future__ import annotations

from bloom.api import HttpContext, http_function
from bloom.files import errors as file_errors
from bloom.messaging import audit, erasure, errors, messages, safety, threads
from bloom.messaging.events import MESSAGE_FLAGGED, MessageFlagged
from bloom.messaging.schemas import (
    AuditPage,
    AuditQuery,
    CreateThread,
    EditMessage,
    MarkRead,
    Message,
    MessagePage,
    MessagesQuery,
    SendMessage,
    Thread,
    ThreadPage,
    ThreadsQuery,
)
from bloom.notifications.slack import SAFETY
from bloom.platform.cursors import INVALID_CURSOR
from bloom.platform.events import Event
from bloom.platform.http import Empty
from bloom.platform.registry import Role, Sdk
from bloom.platform.subscriber import event_function, scheduled_function
from bloom.platform.topics import ScheduledRun
from bloom.practice import errors as practice_errors
from bloom.users.events import USER_DELETED, UserDeleted

TAGS = ("messaging",)
BASE = "/api/v1/practice"
THREAD = f"{BASE}/threads/{{thread_id}}"
MESSAGE = f"{THREAD}/messages/{{message_id}}"
MODERATION = ("OPENAI_API_KEY",)
# Per user and function (adding and removing a reaction count apart), far above what a person does; see
# docs/messaging.md for the reasoning.
SEND_LIMIT = "30/minute per user"
EDIT_LIMIT = "20/minute per user"
DELETE_LIMIT = "30/minute per user"
REACTION_LIMIT = "60/minute per user"
OPEN_THREAD_LIMIT = "20/minute per user"
READ_RECEIPT_LIMIT = "120/minute per user"


@http_function(
    "POST",
    f"{BASE}/threads",
    role=Role.PRACTICE_USER,
    body=CreateThread,
    response=Thread,
    summary="The care thread of an active assignment (asking again returns it) or the caller's support thread",
    errors=(practice_errors.ASSIGNMENT_NOT_FOUND, errors.ASSIGNMENT_NOT_ACTIVE),
    rate_limit=OPEN_THREAD_LIMIT,
    tags=TAGS,
)
def open_thread(ctx: HttpContext[CreateThread, Empty]) -> Thread:
    return threads.open_thread(ctx.caller, ctx.body)


@http_function(
    "GET",
    f"{BASE}/threads",
    role=Role.PRACTICE_USER,
    query=ThreadsQuery,
    response=ThreadPage,
    summary="The caller's threads, newest activity first (cursor pages; one query)",
    errors=(INVALID_CURSOR,),
    tags=TAGS,
)
def list_threads(ctx: HttpContext[Empty, ThreadsQuery]) -> ThreadPage:
    return threads.list_threads(ctx.caller, ctx.query)


@http_function(
    "GET",
    f"{THREAD}/messages",
    role=Role.PRACTICE_USER,
    query=MessagesQuery,
    response=MessagePage,
    summary="A thread's messages, newest first (`before` = the previous page's cursor)",
    errors=(errors.THREAD_NOT_FOUND, INVALID_CURSOR),
    tags=TAGS,
)
def list_messages(ctx: HttpContext[Empty, MessagesQuery]) -> MessagePage:
    return messages.list_messages(ctx.caller, ctx.path["thread_id"], ctx.query)


@http_function(
    "POST",
    f"{THREAD}/messages",
    role=Role.PRACTICE_USER,
    body=SendMessage,
    response=Message,
    summary="Send a message (moderated, audited; `clientMessageId` makes a retry return the same message)",
    errors=(errors.THREAD_NOT_FOUND, errors.THREAD_READ_ONLY, file_errors.ATTACHMENT_NOT_AVAILABLE),
    secrets=MODERATION,
    sdks=(Sdk.REQUESTS, Sdk.PUBSUB),
    emits=(MESSAGE_FLAGGED,),
    rate_limit=SEND_LIMIT,
    tags=TAGS,
)
def send_message(ctx: HttpContext[SendMessage, Empty]) -> Message:
    return messages.send_message(ctx.caller, ctx.path["thread_id"], ctx.body, ctx.request_id)


@http_function(
    "PATCH",
    MESSAGE,
    role=Role.PRACTICE_USER,
    body=EditMessage,
    response=Message,
    summary="Edit one's message within 15 minutes (moderated again, audited)",
    errors=(
        errors.THREAD_NOT_FOUND,
        errors.MESSAGE_NOT_FOUND,
        errors.MESSAGE_DELETED,
        errors.THREAD_READ_ONLY,
        errors.EDIT_WINDOW_CLOSED,
        errors.MESSAGE_BLOCKED,
    ),
    secrets=MODERATION,
    sdks=(Sdk.REQUESTS, Sdk.PUBSUB),
    emits=(MESSAGE_FLAGGED,),
    rate_limit=EDIT_LIMIT,
    tags=TAGS,
)
def edit_message(ctx: HttpContext[EditMessage, Empty]) -> Message:
    return messages.edit_message(ctx.caller, ctx.path["thread_id"], ctx.path["message_id"], ctx.body, ctx.request_id)


@http_function(
    "DELETE",
    MESSAGE,
    role=Role.PRACTICE_USER,
    response=Message,
    summary="Delete a message (its sender or a practice admin): text and attachments go, the record stays",
    errors=(errors.THREAD_NOT_FOUND, errors.MESSAGE_NOT_FOUND),
    rate_limit=DELETE_LIMIT,
    tags=TAGS,
)
def delete_message(ctx: HttpContext[Empty, Empty]) -> Message:
    return messages.delete_message(ctx.caller, ctx.path["thread_id"], ctx.path["message_id"], ctx.request_id)


@http_function(
    "PUT",
    f"{MESSAGE}/reactions/{{emoji}}",
    role=Role.PRACTICE_USER,
    response=Message,
    summary="Add the caller's reaction",
    errors=(
        errors.THREAD_NOT_FOUND,
        errors.MESSAGE_NOT_FOUND,
        errors.MESSAGE_DELETED,
        errors.INVALID_EMOJI,
        errors.TOO_MANY_REACTIONS,
    ),
    rate_limit=REACTION_LIMIT,
    tags=TAGS,
)
def add_reaction(ctx: HttpContext[Empty, Empty]) -> Message:
    path = ctx.path
    return messages.react(
        ctx.caller, path["thread_id"], path["message_id"], path["emoji"], add=True, request_id=ctx.request_id
    )


@http_function(
    "DELETE",
    f"{MESSAGE}/reactions/{{emoji}}",
    role=Role.PRACTICE_USER,
    response=Message,
    summary="Remove the caller's reaction",
    errors=(errors.THREAD_NOT_FOUND, errors.MESSAGE_NOT_FOUND, errors.MESSAGE_DELETED, errors.INVALID_EMOJI),
    rate_limit=REACTION_LIMIT,
    tags=TAGS,
)
def remove_reaction(ctx: HttpContext[Empty, Empty]) -> Message:
    path = ctx.path
    return messages.react(
        ctx.caller, path["thread_id"], path["message_id"], path["emoji"], add=False, request_id=ctx.request_id
    )


@http_function(
    "POST",
    f"{THREAD}/read",
    role=Role.PRACTICE_USER,
    body=MarkRead,
    response=Thread,
    summary="A read receipt: the last message the caller has read",
    errors=(errors.THREAD_NOT_FOUND, errors.MESSAGE_NOT_FOUND),
    rate_limit=READ_RECEIPT_LIMIT,
    tags=TAGS,
)
def mark_read(ctx: HttpContext[MarkRead, Empty]) -> Thread:
    return messages.mark_read(ctx.caller, ctx.path["thread_id"], ctx.body)


@http_function(
    "GET",
    f"{BASE}/audit",
    role=Role.PRACTICE_ADMIN,
    query=AuditQuery,
    response=AuditPage,
    summary="A thread's message audit, newest first (the read is itself audited)",
    errors=(errors.THREAD_NOT_FOUND, INVALID_CURSOR),
    tags=TAGS,
)
def read_audit(ctx: HttpContext[Empty, AuditQuery]) -> AuditPage:
    return audit.audit_of_thread(ctx.caller, ctx.query, ctx.request_id)


@event_function(
    MESSAGE_FLAGGED,
    summary="Alert the safety team in Slack about a flagged message (ids only; one alert per thread per window)",
    secrets=(SAFETY.secret,),
    sdks=(Sdk.REQUESTS,),
)
def slack_message_flagged(event: Event[MessageFlagged]) -> None:
    safety.alert_safety_team(event.payload)


@scheduled_function(
    "*/5 * * * *",
    summary="Tell the safety team in Slack how many flagged messages each closed alert window held back (ids only)",
    secrets=(SAFETY.secret,),
    sdks=(Sdk.REQUESTS,),
)
def send_safety_follow_ups(run: Event[ScheduledRun]) -> None:
    safety.send_follow_ups(run.payload.scheduled_at)


@event_function(USER_DELETED, summary="Erase a deleted user's message texts, presence and typing markers")
def erase_messages_of_deleted_user(event: Event[UserDeleted]) -> None:
    erasure.erase_user_messages(event.payload.user_id, event.payload.auth_uid)
