"""Resources: the public read and the super admin's manual create."""

from __future__ import annotations

from typing import Any

from bloom.api import HttpContext, http_function
from bloom.content import errors as content_errors
from bloom.content import service as content_sync
from bloom.content.schemas import CreateResource, ResourceOut
from bloom.platform.http import Empty
from bloom.platform.registry import Role, Sdk


@http_function(
    "GET",
    "/api/v1/resource/{id}",
    role=Role.PUBLIC,
    response=ResourceOut,
    summary="A resource by id (404 RESOURCE NOT FOUND)",
    sdks=(Sdk.FIRESTORE,),
    tags=("content",),
    errors=(content_errors.RESOURCE_NOT_FOUND,),
)
def get_resource(ctx: HttpContext[Any, Any]) -> ResourceOut:
    return content_sync.get_resource(ctx.path["id"])


@http_function(
    "POST",
    "/api/v1/resource",
    role=Role.SUPER_ADMIN,
    body=CreateResource,
    response=ResourceOut,
    summary="Create a resource by hand (its storyblokUuid must be new: 409 RESOURCE ALREADY EXISTS)",
    tags=("content",),
    errors=(content_errors.RESOURCE_EXISTS,),
)
def create_resource(ctx: HttpContext[CreateResource, Empty]) -> ResourceOut:
    return content_sync.create_resource(ctx.body)
