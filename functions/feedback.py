"""Feedback on sessions and resources (the team hears of it in Slack), the event logger, and their erasure
when the user is deleted."""

from __future__ import annotations

from bloom.api import HttpContext, http_function
from bloom.content import errors as content_errors
from bloom.feedback import service as feedback
from bloom.feedback.events import EVENT_LOG_RECORDED, FEEDBACK_SUBMITTED
from bloom.feedback.schemas import (
    EventLogBody,
    EventLogOut,
    ResourceFeedbackBody,
    ResourceFeedbackOut,
    SessionFeedbackBody,
    SessionFeedbackOut,
)
from bloom.platform.events import Event
from bloom.platform.http import Empty
from bloom.platform.registry import Role, Sdk
from bloom.platform.subscriber import event_function
from bloom.users.events import USER_DELETED, UserDeleted

TAGS = ("feedback",)


@http_function(
    "POST",
    "/api/v1/session-feedback",
    role=Role.USER,
    body=SessionFeedbackBody,
    response=SessionFeedbackOut,
    summary="Feedback on a session (description reduced to basic HTML). 404 SESSION NOT FOUND",
    sdks=(Sdk.PUBSUB,),
    emits=(FEEDBACK_SUBMITTED,),
    tags=TAGS,
    errors=(content_errors.SESSION_NOT_FOUND,),
)
def create_session_feedback(ctx: HttpContext[SessionFeedbackBody, Empty]) -> SessionFeedbackOut:
    return feedback.submit_session_feedback(ctx.caller.user, ctx.body)


@http_function(
    "POST",
    "/api/v1/resource-feedback",
    role=Role.USER,
    body=ResourceFeedbackBody,
    response=ResourceFeedbackOut,
    summary="Feedback on a resource (description reduced to basic HTML). 404 RESOURCE NOT FOUND",
    sdks=(Sdk.PUBSUB,),
    emits=(FEEDBACK_SUBMITTED,),
    tags=TAGS,
    errors=(content_errors.RESOURCE_NOT_FOUND,),
)
def create_resource_feedback(ctx: HttpContext[ResourceFeedbackBody, Empty]) -> ResourceFeedbackOut:
    return feedback.submit_resource_feedback(ctx.caller.user, ctx.body)


@http_function(
    "POST",
    "/api/v1/event-logger",
    role=Role.USER,
    body=EventLogBody,
    response=EventLogOut,
    summary="Record an event of the caller (chat messages, log in/out, grounding exercise)",
    tags=TAGS,
    emits=(EVENT_LOG_RECORDED,),
    sdks=(Sdk.PUBSUB,),
)
def create_event_log(ctx: HttpContext[EventLogBody, Empty]) -> EventLogOut:
    return feedback.log_event(ctx.caller.user, ctx.body)


@event_function(USER_DELETED, summary="Erase a deleted user's feedback (with its free text) and event log")
def erase_feedback_of_deleted_user(event: Event[UserDeleted]) -> None:
    feedback.erase_user_feedback(event.payload.user_id)
