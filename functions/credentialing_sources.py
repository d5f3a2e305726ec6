"""Credentialing's requirement sources (practice admins) and the requirements a therapist must meet.

None of these routes loads an embedding model: ingestion runs in `functions/credentialing_ingestion.py`, and the
requirements read a query vector embedded there (`.importlinter` keeps it so).
"""

from __future__ import annotations

from bloom.api import HttpContext, http_function
from bloom.credentialing import errors, retrieval, sources
from bloom.credentialing.events import SOURCE_ADDED
from bloom.credentialing.schemas import CreateSource, RequirementList, RequirementsQuery, SourceList, SourceOut
from bloom.platform.http import Empty
from bloom.platform.registry import Role, Sdk
from bloom.practice.errors import THERAPIST_NOT_FOUND

TAGS = ("credentialing",)
BASE = "/api/v1/practice/credentialing"


@http_function(
    "POST",
    f"{BASE}/sources",
    role=Role.PRACTICE_ADMIN,
    body=CreateSource,
    response=SourceOut,
    summary="Add a payer's requirements PDF (an available upload of the caller's): `pending` until ingested",
    errors=(errors.SOURCE_UPLOAD_NOT_USABLE,),
    emits=(SOURCE_ADDED,),
    sdks=(Sdk.PUBSUB,),
    rate_limit="30/hour per user",
    tags=TAGS,
)
def create_credentialing_source(ctx: HttpContext[CreateSource, Empty]) -> SourceOut:
    return sources.add_source(ctx.caller, ctx.body)


@http_function(
    "POST",
    f"{BASE}/sources/{{id}}/ingest",
    role=Role.PRACTICE_ADMIN,
    response=SourceOut,
    summary="Ingest a source again: its chunks are replaced when the new ingestion has run",
    errors=(errors.SOURCE_NOT_FOUND,),
    emits=(SOURCE_ADDED,),
    sdks=(Sdk.PUBSUB,),
    rate_limit="30/hour per user",
    tags=TAGS,
)
def reingest_credentialing_source(ctx: HttpContext[Empty, Empty]) -> SourceOut:
    return sources.reingest_source(ctx.path["id"])


@http_function(
    "GET",
    f"{BASE}/sources",
    role=Role.PRACTICE_ADMIN,
    response=SourceList,
    summary="The practice's requirement sources, newest first, with their ingestion status and progress",
    tags=TAGS,
)
def list_credentialing_sources(ctx: HttpContext[Empty, Empty]) -> SourceList:
    return sources.list_sources()


@http_function(
    "DELETE",
    f"{BASE}/sources/{{id}}",
    role=Role.PRACTICE_ADMIN,
    response=SourceOut,
    summary="Delete a requirement source and its chunks; returns what was deleted",
    errors=(errors.SOURCE_NOT_FOUND,),
    tags=TAGS,
)
def delete_credentialing_source(ctx: HttpContext[Empty, Empty]) -> SourceOut:
    return sources.delete_source(ctx.path["id"])


@http_function(
    "GET",
    f"{BASE}/requirements",
    role=Role.PRACTICE_STAFF,
    query=RequirementsQuery,
    response=RequirementList,
    summary="The checklist a therapist (themselves; admins: `therapistId`) must meet for a payer in a state, "
    "each item citing the source page it comes from",
    errors=(THERAPIST_NOT_FOUND,),
    secrets=("OPENAI_API_KEY",),  # the extractor's model, when the secret has a value
    sdks=(Sdk.REQUESTS,),
    rate_limit="60/minute per user",
    tags=TAGS,
)
def get_credentialing_requirements(ctx: HttpContext[Empty, RequirementsQuery]) -> RequirementList:
    return retrieval.requirements(ctx.caller, ctx.query)
