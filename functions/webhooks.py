"""Webhooks from third parties: Storyblok story events."""

from __future__ import annotations

from typing import Any

from bloom.api import HttpContext, http_function
from bloom.content import errors as content_errors
from bloom.content import service as content_sync
from bloom.content.schemas import StoryblokSyncResult
from bloom.platform.registry import Role, Sdk


@http_function(
    "POST",
    "/api/webhooks/storyblok",
    role=Role.WEBHOOK,
    response=StoryblokSyncResult,
    summary=(
        "Storyblok story event {action: published|unpublished|deleted|moved, story_id, full_slug?, text?, space_id?}"
        " signed with `webhook-signature` (hex HMAC-SHA1 of the raw body): keeps courses, sessions and resources"
        " in step"
    ),
    secrets=("STORYBLOK_WEBHOOK_SECRET", "STORYBLOK_PUBLIC_TOKEN"),
    sdks=(Sdk.FIRESTORE, Sdk.REQUESTS),
    tags=("webhooks",),
    errors=(content_errors.ERRORS,),
)
def storyblok_webhook(ctx: HttpContext[Any, Any]) -> StoryblokSyncResult:
    # No `body=` model: the signature is checked on the raw body before the body is parsed.
    return content_sync.handle_webhook(ctx.raw_body, ctx.headers.get("webhook-signature"))
