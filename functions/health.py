"""Health endpoints."""

from __future__ import annotations

from typing import Any

from bloom.api import http_function
from bloom.health import service as health
from bloom.platform.registry import Role, Sdk


@http_function("GET", "/api/ping", role=Role.PUBLIC, response=str, summary='Liveness: answers "ok"', tags=("health",))
def ping(_: Any) -> str:
    return "ok"


@http_function(
    "GET",
    "/api/ping/database",
    role=Role.PUBLIC,
    response=str,
    summary="Readiness: reads Firestore once",
    sdks=(Sdk.FIRESTORE,),
    tags=("health",),
    errors=(health.DATABASE_UNAVAILABLE,),
)
def ping_database(_: Any) -> str:
    health.check_database()
    return "ok"
