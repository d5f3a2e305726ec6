"""Webhooks from third parties: Storyblok story events."""

from __future__ import annotations

from bloom.content import errors as content_errors
from bloom.content import service as content_sync
from bloom.content.schemas import StoryblokSyncResult, StoryblokWebhook
from bloom.platform.registry import Sdk
from bloom.platform.webhook_verification import HmacSignature
from bloom.platform.webhooks import WebhookDelivery, webhook_function

STORYBLOK_SIGNATURE = HmacSignature(
    header="webhook-signature",
    credential="STORYBLOK_WEBHOOK_SECRET",
    algorithm="sha1",
    encoding="hex",
    missing=content_errors.SIGNATURE_MISSING,
    mismatch=content_errors.SIGNATURE_MISMATCH,
)


# Inline: Storyblok reads the answer. No idempotency key: its deliveries carry no id, and a story published
# again after an edit sends the same body as before; the sync compares content, so a replay changes nothing.
@webhook_function(
    "/api/webhooks/storyblok",
    verify=STORYBLOK_SIGNATURE,
    body=StoryblokWebhook,
    respond_inline=True,
    response=StoryblokSyncResult,
    summary=(
        "Storyblok story event {action: published|unpublished|deleted|moved, story_id, full_slug?, text?, space_id?}"
        " signed with `webhook-signature` (hex HMAC-SHA1 of the raw body): keeps courses, sessions and resources"
        " in step"
    ),
    secrets=("STORYBLOK_PUBLIC_TOKEN",),
    sdks=(Sdk.FIRESTORE, Sdk.REQUESTS),
    errors=(content_errors.COURSE_NOT_FOUND, content_errors.STORY_NOT_FOUND, content_errors.SESSION_WITHOUT_COURSE),
)
def storyblok_webhook(delivery: WebhookDelivery[StoryblokWebhook]) -> StoryblokSyncResult:
    return content_sync.handle_webhook(delivery.body)
