"""Partners, features, partner features and partner admins (super admin unless marked public).

`GET partner/{partner}` takes a partner's NAME and `PATCH partner/{partner}` its ID: one parameter name for
both, because OpenAPI (and so API Gateway) treats `/partner/{name}` and `/partner/{id}` as the same path.
"""

from __future__ import annotations

from bloom.accounts import service as accounts
from bloom.api import HttpContext, http_function
from bloom.partners import errors as partner_errors
from bloom.partners import service as partners
from bloom.partners.events import PARTNER_ACCESS_CHANGED
from bloom.partners.schemas import (
    CreateFeature,
    CreatePartner,
    CreatePartnerAdmin,
    CreatePartnerAdminUser,
    CreatePartnerFeature,
    FeatureOut,
    PartnerAdminOut,
    PartnerFeatureOut,
    PartnerOut,
    UpdatePartner,
    UpdatePartnerAdmin,
    UpdatePartnerFeature,
)
from bloom.platform.http import Empty
from bloom.platform.registry import Capability, Role, Sdk
from bloom.users import errors as users_errors
from bloom.users.events import USER_CREATED

TAGS = ("partners",)


@http_function(
    "POST",
    "/api/v1/partner",
    role=Role.SUPER_ADMIN,
    body=CreatePartner,
    response=PartnerOut,
    summary="Create a partner (name unique, case-insensitive)",
    tags=TAGS,
    errors=(partner_errors.PARTNER_ALREADY_EXISTS,),
)
def create_partner(ctx: HttpContext[CreatePartner, Empty]) -> PartnerOut:
    return partners.create_partner(ctx.body)


@http_function(
    "GET", "/api/v1/partner", role=Role.SUPER_ADMIN, response=list[PartnerOut], summary="List partners", tags=TAGS
)
def list_partners(_: HttpContext[Empty, Empty]) -> list[PartnerOut]:
    return partners.list_partners()


@http_function(
    "GET",
    "/api/v1/partner/{partner}",
    role=Role.PUBLIC,
    response=PartnerOut,
    summary="A partner by its exact name, case-insensitive",
    sdks=(Sdk.FIRESTORE,),
    tags=TAGS,
    errors=(partner_errors.PARTNER_NOT_FOUND,),
)
def get_partner(ctx: HttpContext[Empty, Empty]) -> PartnerOut:
    return partners.get_partner_by_name(ctx.path["partner"])


@http_function(
    "PATCH",
    "/api/v1/partner/{partner}",
    role=Role.SUPER_ADMIN,
    body=UpdatePartner,
    response=PartnerOut,
    summary="(De)activate a partner; reactivation restores only the admins and codes its deactivation switched off",
    tags=TAGS,
    errors=(partner_errors.PARTNER_NOT_FOUND,),
    emits=(PARTNER_ACCESS_CHANGED,),
    sdks=(Sdk.PUBSUB,),
)
def update_partner(ctx: HttpContext[UpdatePartner, Empty]) -> PartnerOut:
    return partners.update_partner(ctx.path["partner"], ctx.body)


@http_function(
    "POST",
    "/api/v1/feature",
    role=Role.SUPER_ADMIN,
    body=CreateFeature,
    response=FeatureOut,
    summary="Create a feature",
    tags=TAGS,
    errors=(partner_errors.FEATURE_ALREADY_EXISTS,),
)
def create_feature(ctx: HttpContext[CreateFeature, Empty]) -> FeatureOut:
    return partners.create_feature(ctx.body)


@http_function(
    "GET", "/api/v1/feature", role=Role.SUPER_ADMIN, response=list[FeatureOut], summary="List features", tags=TAGS
)
def list_features(_: HttpContext[Empty, Empty]) -> list[FeatureOut]:
    return partners.list_features()


@http_function(
    "GET",
    "/api/v1/feature/{id}",
    role=Role.PUBLIC,
    response=FeatureOut,
    summary="A feature by id",
    sdks=(Sdk.FIRESTORE,),
    tags=TAGS,
    errors=(partner_errors.FEATURE_NOT_FOUND,),
)
def get_feature(ctx: HttpContext[Empty, Empty]) -> FeatureOut:
    return partners.get_feature(ctx.path["id"])


@http_function(
    "POST",
    "/api/v1/partner-feature",
    role=Role.SUPER_ADMIN,
    body=CreatePartnerFeature,
    response=PartnerFeatureOut,
    summary="Give a partner a feature",
    tags=TAGS,
    errors=(
        partner_errors.PARTNER_NOT_FOUND,
        partner_errors.FEATURE_NOT_FOUND,
        partner_errors.PARTNER_FEATURE_ALREADY_EXISTS,
    ),
)
def create_partner_feature(ctx: HttpContext[CreatePartnerFeature, Empty]) -> PartnerFeatureOut:
    return partners.create_partner_feature(ctx.body)


@http_function(
    "PATCH",
    "/api/v1/partner-feature/{id}",
    role=Role.SUPER_ADMIN,
    body=UpdatePartnerFeature,
    response=PartnerFeatureOut,
    summary="Switch a partner feature on or off",
    tags=TAGS,
    errors=(partner_errors.PARTNER_FEATURE_NOT_FOUND,),
)
def update_partner_feature(ctx: HttpContext[UpdatePartnerFeature, Empty]) -> PartnerFeatureOut:
    return partners.update_partner_feature(ctx.path["id"], ctx.body.active)


@http_function(
    "GET",
    "/api/v1/partner-feature/automatic-access-code/{partnerName}",
    role=Role.PUBLIC,
    response=PartnerFeatureOut | None,
    summary="The partner's AUTOMATIC_ACCESS_CODE feature, or null (unknown partner too)",
    sdks=(Sdk.FIRESTORE,),
    tags=TAGS,
)
def get_automatic_access_code_feature(ctx: HttpContext[Empty, Empty]) -> PartnerFeatureOut | None:
    return partners.automatic_access_feature(ctx.path["partnerName"])


@http_function(
    "POST",
    "/api/v1/partner-admin",
    role=Role.SUPER_ADMIN,
    body=CreatePartnerAdmin,
    response=PartnerAdminOut,
    summary="Make an existing user a partner admin",
    tags=TAGS,
    errors=(
        partner_errors.USER_DOES_NOT_EXIST,
        partner_errors.PARTNER_DOES_NOT_EXIST,
        partner_errors.ALREADY_PARTNER_ADMIN,
    ),
)
def create_partner_admin(ctx: HttpContext[CreatePartnerAdmin, Empty]) -> PartnerAdminOut:
    return partners.create_partner_admin(ctx.body.user_id, ctx.body.partner_id)


@http_function(
    "POST",
    "/api/v1/partner-admin/create-user",
    role=Role.SUPER_ADMIN,
    body=CreatePartnerAdminUser,
    response=PartnerAdminOut,
    summary="Make the person with this email a partner admin, creating their account if needed",
    sdks=(
        Sdk.PUBSUB,
        Sdk.FIREBASE_AUTH,
    ),
    uses=(Capability.FIREBASE_AUTH_ADMIN,),
    tags=TAGS,
    rate_limit="5/minute per user",
    errors=(
        *users_errors.ACCOUNT_CREATION_ERRORS,
        partner_errors.USER_DOES_NOT_EXIST,
        partner_errors.PARTNER_DOES_NOT_EXIST,
        partner_errors.ALREADY_PARTNER_ADMIN,
    ),
    emits=(USER_CREATED,),
)
def create_partner_admin_user(ctx: HttpContext[CreatePartnerAdminUser, Empty]) -> PartnerAdminOut:
    body = ctx.body
    return accounts.create_partner_admin_user(body.name, body.email, body.partner_id)


@http_function(
    "PATCH",
    "/api/v1/partner-admin/{id}",
    role=Role.SUPER_ADMIN,
    body=UpdatePartnerAdmin,
    response=PartnerAdminOut,
    summary="Switch a partner admin on or off",
    tags=TAGS,
    errors=(partner_errors.PARTNER_ADMIN_DOES_NOT_EXIST,),
)
def update_partner_admin(ctx: HttpContext[UpdatePartnerAdmin, Empty]) -> PartnerAdminOut:
    return partners.update_partner_admin(ctx.path["id"], ctx.body.active)
