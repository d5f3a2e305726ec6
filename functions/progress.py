"""A user's progress through courses, sessions and resources, and its erasure when the user is deleted."""

from __future__ import annotations

from typing import Any

from bloom.api import HttpContext, http_function, profile_http_function
from bloom.content import errors as content_errors
from bloom.content import progress
from bloom.content.events import PROGRESS_CHANGED
from bloom.content.schemas import CourseOut, ResourceOut, StoryblokUuidBody
from bloom.platform.events import Event
from bloom.platform.http import Empty
from bloom.platform.registry import Role, Sdk
from bloom.platform.subscriber import event_function
from bloom.users.events import USER_DELETED, UserDeleted

TAGS = ("progress",)


@profile_http_function(
    "GET",
    "/api/v1/courses-user",
    role=Role.USER,
    response=list[CourseOut],
    summary="The courses the caller started, with completion and the started sessions",
    tags=TAGS,
)
def get_courses_user(ctx: HttpContext[Any, Any]) -> list[CourseOut]:
    return progress.courses_for_user(ctx.caller.user, ctx.caller.prefetched)


def _session(ctx: HttpContext[StoryblokUuidBody, Empty], change: progress.Change) -> CourseOut:
    return progress.change_session(ctx.caller.user, ctx.caller.auth_uid, ctx.body.storyblok_uuid, change)


def _resource(ctx: HttpContext[StoryblokUuidBody, Empty], change: progress.Change) -> ResourceOut:
    return progress.change_resource(ctx.caller.user, ctx.caller.auth_uid, ctx.body.storyblok_uuid, change)


@http_function(
    "POST",
    "/api/v1/session-user",
    role=Role.USER,
    body=StoryblokUuidBody,
    response=CourseOut,
    summary="Start a session (and its course); idempotent. 404 SESSION NOT FOUND",
    tags=TAGS,
    errors=(content_errors.SESSION_NOT_FOUND, content_errors.COURSE_NOT_FOUND),
    emits=(PROGRESS_CHANGED,),
    sdks=(Sdk.PUBSUB,),
)
def start_session_user(ctx: HttpContext[StoryblokUuidBody, Empty]) -> CourseOut:
    return _session(ctx, "start")


@http_function(
    "POST",
    "/api/v1/session-user/complete",
    role=Role.USER,
    body=StoryblokUuidBody,
    response=CourseOut,
    summary="Complete a session (starting it if needed); returns its course with completion",
    tags=TAGS,
    errors=(content_errors.SESSION_NOT_FOUND, content_errors.COURSE_NOT_FOUND),
    emits=(PROGRESS_CHANGED,),
    sdks=(Sdk.PUBSUB,),
)
def complete_session_user(ctx: HttpContext[StoryblokUuidBody, Empty]) -> CourseOut:
    return _session(ctx, "complete")


@http_function(
    "POST",
    "/api/v1/session-user/incomplete",
    role=Role.USER,
    body=StoryblokUuidBody,
    response=CourseOut,
    summary="Mark a session incomplete; returns its course with completion",
    tags=TAGS,
    errors=(content_errors.SESSION_NOT_FOUND, content_errors.COURSE_NOT_FOUND),
    emits=(PROGRESS_CHANGED,),
    sdks=(Sdk.PUBSUB,),
)
def incomplete_session_user(ctx: HttpContext[StoryblokUuidBody, Empty]) -> CourseOut:
    return _session(ctx, "incomplete")


@http_function(
    "POST",
    "/api/v1/resource-user",
    role=Role.USER,
    body=StoryblokUuidBody,
    response=ResourceOut,
    summary="Start a resource; idempotent. 404 RESOURCE NOT FOUND",
    tags=TAGS,
    errors=(content_errors.RESOURCE_NOT_FOUND,),
    emits=(PROGRESS_CHANGED,),
    sdks=(Sdk.PUBSUB,),
)
def start_resource_user(ctx: HttpContext[StoryblokUuidBody, Empty]) -> ResourceOut:
    return _resource(ctx, "start")


@http_function(
    "POST",
    "/api/v1/resource-user/complete",
    role=Role.USER,
    body=StoryblokUuidBody,
    response=ResourceOut,
    summary="Complete a resource (starting it if needed)",
    tags=TAGS,
    errors=(content_errors.RESOURCE_NOT_FOUND,),
    emits=(PROGRESS_CHANGED,),
    sdks=(Sdk.PUBSUB,),
)
def complete_resource_user(ctx: HttpContext[StoryblokUuidBody, Empty]) -> ResourceOut:
    return _resource(ctx, "complete")


@http_function(
    "POST",
    "/api/v1/resource-user/incomplete",
    role=Role.USER,
    body=StoryblokUuidBody,
    response=ResourceOut,
    summary="Mark a resource incomplete",
    tags=TAGS,
    errors=(content_errors.RESOURCE_NOT_FOUND,),
    emits=(PROGRESS_CHANGED,),
    sdks=(Sdk.PUBSUB,),
)
def incomplete_resource_user(ctx: HttpContext[StoryblokUuidBody, Empty]) -> ResourceOut:
    return _resource(ctx, "incomplete")


@event_function(USER_DELETED, summary="Erase a deleted user's progress through courses, sessions and resources")
def erase_progress_of_deleted_user(event: Event[UserDeleted]) -> None:
    progress.erase_user_progress(event.payload.user_id)
