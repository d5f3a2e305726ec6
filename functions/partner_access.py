"""Partner accesses and access codes, and erasing a deleted user's partner data."""

from __future__ import annotations

from bloom.api import HttpContext, http_function
from bloom.partners import access_admin, access_codes, access_erasure
from bloom.partners import errors as partner_errors
from bloom.partners import service as partners
from bloom.partners.events import PARTNER_ACCESS_ACTIVATED, PARTNER_ACCESS_CHANGED, PARTNER_ACCESS_GRANTED
from bloom.partners.schemas import (
    CreatePartnerAccess,
    CypressCleanupOut,
    PartnerAccessCode,
    PartnerAccessOut,
    PartnerAccessQuery,
    UpdatePartnerAccess,
)
from bloom.platform.auth import FORBIDDEN
from bloom.platform.events import Event
from bloom.platform.http import Empty
from bloom.platform.registry import Role, Sdk
from bloom.platform.subscriber import event_function
from bloom.users.events import USER_DELETED, UserDeleted

TAGS = ("partner access",)


@http_function(
    "POST",
    "/api/v1/partner-access",
    role=Role.PARTNER_ADMIN,
    body=CreatePartnerAccess,
    response=PartnerAccessOut,
    summary="A partner admin creates an access with a fresh code for their partner",
    tags=TAGS,
    emits=(PARTNER_ACCESS_GRANTED,),
    sdks=(Sdk.PUBSUB,),
)
def create_partner_access(ctx: HttpContext[CreatePartnerAccess, Empty]) -> PartnerAccessOut:
    summary = ctx.caller.user.partner_admin
    if summary is None:
        raise FORBIDDEN.error()
    return access_codes.create_access(summary, ctx.body)


@http_function(
    "GET",
    "/api/v1/partner-access",
    role=Role.SUPER_ADMIN,
    query=PartnerAccessQuery,
    response=list[PartnerAccessOut],
    summary="Partner accesses matching the query's filters",
    tags=TAGS,
)
def list_partner_accesses(ctx: HttpContext[Empty, PartnerAccessQuery]) -> list[PartnerAccessOut]:
    return access_admin.list_accesses(ctx.query)


@http_function(
    "PATCH",
    "/api/v1/partner-access/{id}",
    role=Role.SUPER_ADMIN,
    body=UpdatePartnerAccess,
    response=PartnerAccessOut,
    summary="Change an access's therapy sessions or features",
    tags=TAGS,
    errors=(partner_errors.PARTNER_ACCESS_NOT_FOUND,),
    emits=(PARTNER_ACCESS_CHANGED,),
    sdks=(Sdk.PUBSUB,),
)
def update_partner_access(ctx: HttpContext[UpdatePartnerAccess, Empty]) -> PartnerAccessOut:
    return access_admin.update_access(ctx.path["id"], ctx.body)


@http_function(
    "POST",
    "/api/v1/partner-access/validate-code",
    role=Role.PUBLIC,
    body=PartnerAccessCode,
    response=PartnerAccessOut,
    summary="Check an access code before signup (case-insensitive)",
    sdks=(Sdk.FIRESTORE,),
    tags=TAGS,
    rate_limit="20/minute per ip",  # a six-character code must not be guessable by trying them all
    errors=partner_errors.CODE_ERRORS,
)
def validate_partner_access_code(ctx: HttpContext[PartnerAccessCode, Empty]) -> PartnerAccessOut:
    return access_codes.validate_code(ctx.body.partner_access_code)


@http_function(
    "POST",
    "/api/v1/partner-access/assign",
    role=Role.USER,
    body=PartnerAccessCode,
    response=PartnerAccessOut,
    summary="The signed-in user redeems an access code",
    tags=TAGS,
    rate_limit=("10/minute per user", "20/minute per ip"),
    errors=partner_errors.CODE_ERRORS,
    emits=(PARTNER_ACCESS_ACTIVATED,),
    sdks=(Sdk.PUBSUB,),
)
def assign_partner_access(ctx: HttpContext[PartnerAccessCode, Empty]) -> PartnerAccessOut:
    caller = ctx.caller
    return access_codes.assign_code(caller.auth_uid, caller.user, ctx.body.partner_access_code)


@http_function(
    "DELETE",
    "/api/v1/partner-access/cypress",
    role=Role.SUPER_ADMIN,
    response=CypressCleanupOut,
    summary="Test data: delete accesses of Cypress test users and unassigned ones their partner admins created",
    tags=TAGS,
    emits=(PARTNER_ACCESS_CHANGED,),
    sdks=(Sdk.PUBSUB,),
)
def delete_cypress_partner_accesses(_: HttpContext[Empty, Empty]) -> CypressCleanupOut:
    return CypressCleanupOut(deleted_count=access_admin.delete_cypress_accesses())


@event_function(
    USER_DELETED,
    summary="Release a deleted user's partner accesses and remove their partner-admin record",
    emits=(PARTNER_ACCESS_CHANGED,),
    sdks=(Sdk.PUBSUB,),
)
def erase_partner_data_of_deleted_user(event: Event[UserDeleted]) -> None:
    access_erasure.release_accesses_of(event.payload.user_id)
    partners.remove_partner_admin_of(event.payload.user_id)
