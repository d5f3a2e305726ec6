"""The practice: therapist profiles and discovery, assignments, connections and `GET practice/me`.

Every route needs a second factor from therapists and practice admins (`Role.PRACTICE_*`). Ending an
assignment is messaging's use case: it makes the care thread read-only in the same transaction.
"""

from __future__ import annotations

from bloom.api import HttpContext, http_function
from bloom.messaging import threads
from bloom.platform.cursors import INVALID_CURSOR
from bloom.platform.events import Event
from bloom.platform.http import Empty
from bloom.platform.registry import Capability, Role, Sdk
from bloom.platform.subscriber import event_function
from bloom.practice import errors
from bloom.practice import service as practice
from bloom.practice.schemas import (
    Assignment,
    Connection,
    CreateAssignment,
    CreateTherapist,
    PracticeMe,
    TherapistPage,
    TherapistProfile,
    TherapistQuery,
    UpdateTherapist,
)
from bloom.users import errors as user_errors
from bloom.users.events import USER_CREATED, USER_DELETED, UserDeleted

TAGS = ("practice",)
BASE = "/api/v1/practice"


@http_function(
    "POST",
    f"{BASE}/therapists",
    role=Role.PRACTICE_ADMIN,
    body=CreateTherapist,
    response=TherapistProfile,
    summary="Create a therapist: their Firebase account (if needed, no orphan on failure) and profile; audited",
    errors=(errors.THERAPIST_ALREADY_EXISTS, *user_errors.ACCOUNT_CREATION_ERRORS, user_errors.USER_NOT_FOUND),
    uses=(Capability.FIREBASE_AUTH_ADMIN,),
    emits=(USER_CREATED,),
    sdks=(Sdk.FIREBASE_AUTH, Sdk.PUBSUB),
    rate_limit="20/minute per user",
    tags=TAGS,
)
def create_therapist(ctx: HttpContext[CreateTherapist, Empty]) -> TherapistProfile:
    return practice.create_therapist(ctx.caller, ctx.body)


@http_function(
    "PATCH",
    f"{BASE}/therapists/{{therapist_id}}",
    role=Role.PRACTICE_STAFF,
    body=UpdateTherapist,
    response=TherapistProfile,
    summary="Update a therapist profile (that therapist or a practice admin)",
    errors=(errors.THERAPIST_NOT_FOUND,),
    tags=TAGS,
)
def update_therapist(ctx: HttpContext[UpdateTherapist, Empty]) -> TherapistProfile:
    return practice.update_therapist(ctx.caller, ctx.path["therapist_id"], ctx.body)


@http_function(
    "GET",
    f"{BASE}/therapists",
    role=Role.PRACTICE_USER,
    query=TherapistQuery,
    response=TherapistPage,
    summary="Therapist cards, filtered by language, specialty, region and availability (cursor pages)",
    errors=(INVALID_CURSOR,),
    tags=TAGS,
)
def list_therapists(ctx: HttpContext[Empty, TherapistQuery]) -> TherapistPage:
    return practice.discover_therapists(ctx.query)


@http_function(
    "POST",
    f"{BASE}/assignments",
    role=Role.PRACTICE_USER,
    body=CreateAssignment,
    response=Assignment,
    summary="A patient asks a therapist (requested), or a practice admin assigns a patient (active)",
    errors=(
        errors.THERAPIST_NOT_FOUND,
        errors.PATIENT_NOT_FOUND,
        errors.THERAPIST_NOT_ACCEPTING_PATIENTS,
        errors.ASSIGNMENT_ALREADY_OPEN,
        errors.SELF_ASSIGNMENT,
    ),
    rate_limit="30/minute per user",
    tags=TAGS,
)
def create_assignment(ctx: HttpContext[CreateAssignment, Empty]) -> Assignment:
    return practice.create_assignment(ctx.caller, ctx.body)


@http_function(
    "POST",
    f"{BASE}/assignments/{{assignment_id}}/accept",
    role=Role.THERAPIST,
    response=Assignment,
    summary="The therapist accepts a request",
    errors=(errors.ASSIGNMENT_NOT_FOUND, errors.ASSIGNMENT_STATE_CONFLICT),
    tags=TAGS,
)
def accept_assignment(ctx: HttpContext[Empty, Empty]) -> Assignment:
    return practice.respond_to_assignment(ctx.caller, ctx.path["assignment_id"], "accept")


@http_function(
    "POST",
    f"{BASE}/assignments/{{assignment_id}}/decline",
    role=Role.THERAPIST,
    response=Assignment,
    summary="The therapist declines a request",
    errors=(errors.ASSIGNMENT_NOT_FOUND, errors.ASSIGNMENT_STATE_CONFLICT),
    tags=TAGS,
)
def decline_assignment(ctx: HttpContext[Empty, Empty]) -> Assignment:
    return practice.respond_to_assignment(ctx.caller, ctx.path["assignment_id"], "decline")


@http_function(
    "POST",
    f"{BASE}/assignments/{{assignment_id}}/end",
    role=Role.PRACTICE_USER,
    response=Assignment,
    summary="Either side or a practice admin ends an active assignment; its care thread becomes read-only",
    errors=(errors.ASSIGNMENT_NOT_FOUND, errors.ASSIGNMENT_STATE_CONFLICT),
    tags=TAGS,
)
def end_assignment(ctx: HttpContext[Empty, Empty]) -> Assignment:
    return threads.end_assignment(ctx.caller, ctx.path["assignment_id"])


@http_function(
    "GET",
    f"{BASE}/connections",
    role=Role.PRACTICE_USER,
    response=list[Connection],
    summary="Current and past therapists (as a patient) and patients (as a therapist)",
    tags=TAGS,
)
def list_connections(ctx: HttpContext[Empty, Empty]) -> list[Connection]:
    return practice.connections(ctx.caller)


@http_function(
    "GET",
    f"{BASE}/me",
    role=Role.PRACTICE_USER,
    response=PracticeMe,
    summary="The caller's practice roles, therapist profile and active assignments",
    tags=TAGS,
)
def practice_me(ctx: HttpContext[Empty, Empty]) -> PracticeMe:
    return practice.me(ctx.caller)


@event_function(USER_DELETED, summary="End a deleted user's open assignments and delete their therapist profile")
def close_practice_of_deleted_user(event: Event[UserDeleted]) -> None:
    practice.close_practice_of_deleted_user(event.payload.user_id)
