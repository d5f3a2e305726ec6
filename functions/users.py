"""User endpoints: signup, the caller's profile, profile changes, erasure, search and the Cypress test-data tools."""

from __future__ import annotations

from bloom.accounts import service as accounts
from bloom.accounts.schemas import CreateUser, CypressCount, Profile, UserSearchQuery, UserSearchResult
from bloom.api import HttpContext, http_function, profile_http_function
from bloom.partners import errors as partner_errors
from bloom.partners.events import PARTNER_ACCESS_ACTIVATED, PARTNER_ACCESS_GRANTED
from bloom.platform.http import Empty
from bloom.platform.registry import Capability, Role, Sdk
from bloom.users import errors as users_errors
from bloom.users import service as users
from bloom.users.events import USER_CREATED, USER_DELETED, USER_UPDATED
from bloom.users.schemas import AdminUpdateUser, DeletedUser, UpdateUser, UserOut

TAGS = ("users",)


@http_function(
    "POST",
    "/api/v1/user",
    role=Role.PUBLIC,
    body=CreateUser,
    response=Profile,
    summary="Sign up: creates the Firebase account and the Bloom user (optionally with a partner access)",
    sdks=(Sdk.PUBSUB, Sdk.FIRESTORE, Sdk.FIREBASE_AUTH),
    uses=(Capability.FIREBASE_AUTH_ADMIN,),
    tags=TAGS,
    rate_limit="10/minute per ip",
    errors=(
        *users_errors.ACCOUNT_CREATION_ERRORS,
        *partner_errors.CODE_ERRORS,
        partner_errors.INVALID_PARTNER_ID,
        partner_errors.PARTNER_NOT_ACTIVE,
        partner_errors.NO_AUTOMATIC_ACCESS_FEATURE,
    ),
    emits=(
        PARTNER_ACCESS_ACTIVATED,
        PARTNER_ACCESS_GRANTED,
        USER_CREATED,
    ),
)
def create_user(ctx: HttpContext[CreateUser, Empty]) -> Profile:
    return accounts.register(ctx.body)


@profile_http_function(
    "GET",
    "/api/v1/user/me",
    role=Role.USER,
    response=Profile,
    summary="The caller's profile: user, active partner accesses, partner admin, courses, resources",
    tags=TAGS,
)
def get_user_profile(ctx: HttpContext[Empty, Empty]) -> Profile:
    return accounts.my_profile(ctx.caller)


@http_function(
    "PATCH",
    "/api/v1/user",
    role=Role.USER,
    body=UpdateUser,
    response=UserOut,
    summary="Change the caller's profile fields (an email change updates Firebase first)",
    uses=(Capability.FIREBASE_AUTH_ADMIN,),
    tags=TAGS,
    errors=(*users_errors.EMAIL_CHANGE_ERRORS, users_errors.USER_NOT_FOUND),
    emits=(USER_UPDATED,),
    sdks=(Sdk.PUBSUB,),
)
def update_user(ctx: HttpContext[UpdateUser, Empty]) -> UserOut:
    return users.update_me(ctx.caller.auth_uid, ctx.caller.user, ctx.body)


@http_function(
    "PATCH",
    "/api/v1/user/admin/{id}",
    role=Role.SUPER_ADMIN,
    body=AdminUpdateUser,
    response=UserOut,
    summary="Change any user's profile fields, including isSuperAdmin",
    uses=(Capability.FIREBASE_AUTH_ADMIN,),
    tags=TAGS,
    errors=(*users_errors.EMAIL_CHANGE_ERRORS, users_errors.USER_NOT_FOUND),
    emits=(USER_UPDATED,),
    sdks=(Sdk.PUBSUB,),
)
def admin_update_user(ctx: HttpContext[AdminUpdateUser, Empty]) -> UserOut:
    return users.admin_update(ctx.path["id"], ctx.body)


@http_function(
    "DELETE",
    "/api/v1/user",
    role=Role.USER,
    response=DeletedUser,
    summary="Erase the caller: Firebase account, user record and (through USER_DELETED) everything keyed to it",
    sdks=(Sdk.PUBSUB,),
    uses=(Capability.FIREBASE_AUTH_ADMIN,),
    emits=(USER_DELETED,),
    tags=TAGS,
)
def delete_user(ctx: HttpContext[Empty, Empty]) -> DeletedUser:
    return users.delete_me(ctx.caller.auth_uid, ctx.caller.user)


@http_function(
    "DELETE",
    "/api/v1/user/cypress",
    role=Role.SUPER_ADMIN,
    response=list[DeletedUser],
    summary="Erase the Cypress test users (cypresstestemail…@chayn.co), at most 500 per call",
    sdks=(Sdk.PUBSUB,),
    uses=(Capability.FIREBASE_AUTH_ADMIN,),
    emits=(USER_DELETED,),
    timeout_s=300,
    tags=TAGS,
)
def delete_cypress_users(_: HttpContext[Empty, Empty]) -> list[DeletedUser]:
    return accounts.delete_cypress_users()


@http_function(
    "DELETE",
    "/api/v1/user/{id}",
    role=Role.SUPER_ADMIN,
    response=DeletedUser,
    summary="Erase a user by id, like DELETE user",
    sdks=(Sdk.PUBSUB,),
    uses=(Capability.FIREBASE_AUTH_ADMIN,),
    emits=(USER_DELETED,),
    tags=TAGS,
    errors=(users_errors.USER_NOT_FOUND,),
)
def delete_user_by_id(ctx: HttpContext[Empty, Empty]) -> DeletedUser:
    return users.delete_by_id(ctx.path["id"])


@http_function(
    "GET",
    "/api/v1/user",
    role=Role.SUPER_ADMIN,
    query=UserSearchQuery,
    response=list[UserSearchResult],
    summary="Search users: searchCriteria={email?, partnerAccess?, partnerAdmin?, include?, limit? (max 50)}",
    tags=TAGS,
)
def search_users(ctx: HttpContext[Empty, UserSearchQuery]) -> list[UserSearchResult]:
    return accounts.search_users(ctx.query.search_criteria)


@http_function(
    "GET",
    "/api/v1/user/cypress/count",
    role=Role.SUPER_ADMIN,
    response=CypressCount,
    summary="How many Cypress test users exist",
    tags=TAGS,
)
def count_cypress_users(_: HttpContext[Empty, Empty]) -> CypressCount:
    return accounts.count_cypress_users()
