"""Storyblok: webhook signatures and the Content Delivery API (`GET {base}/cdn/stories/{id}`).

Configuration comes from settings: `STORYBLOK_API_URL` (default the EU region's
`https://api.storyblok.com/v2`), `STORYBLOK_PUBLIC_TOKEN` (the space's public access token) and
`STORYBLOK_WEBHOOK_SECRET` (the secret the webhook signs with), both from Secret Manager when deployed.

A story is fetched without a `cv`: the CDN then redirects to the space's latest cache version, so a story
just published is what we read. Requests have timeouts and a bounded number of retries on connection
errors, 429 and 5xx; a 404 means the story is not published (there is nothing to copy).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import TYPE_CHECKING, Any

from bloom.core.errors import BloomError, Unauthorized
from bloom.core.logging import get_logger
from bloom.core.settings import get_settings

if TYPE_CHECKING:
    import requests


SIGNATURE_HEADER = "webhook-signature"
SIGNATURE_MISSING = "STORYBLOK_SIGNATURE_MISSING"
SIGNATURE_MISMATCH = "STORYBLOK_SIGNATURE_MISMATCH"
CONNECT_TIMEOUT_S = 3.05
READ_TIMEOUT_S = 10.0
ATTEMPTS = 3
BACKOFF_S = (0.2, 0.6)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_log = get_logger(__name__)


class StoryblokUnavailable(BloomError):
    """Storyblok could not be reached or answered something unusable; the webhook answers 502."""

    status_code = 502


def api_url() -> str:
    return get_settings().storyblok_api_url.rstrip("/")


def signature(secret: str, raw_body: bytes) -> str:
    """Hex HMAC-SHA1 of the raw body, as Storyblok sends it in `webhook-signature`."""
    return hmac.new(secret.encode(), raw_body, hashlib.sha1).hexdigest()


def verify_signature(raw_body: bytes, received: str | None) -> None:
    """Raise 401 unless `received` is the body's signature with our secret (constant-time comparison)."""
    if not received or not received.strip():
        raise Unauthorized(SIGNATURE_MISSING)
    secret = get_settings().storyblok_webhook_secret
    if secret is None:
        _log.error("STORYBLOK_WEBHOOK_SECRET is not configured; rejecting every delivery")
        raise Unauthorized(SIGNATURE_MISMATCH)
    expected = signature(secret.get_secret_value(), raw_body).encode()
    if not hmac.compare_digest(expected, received.strip().lower().encode()):
        raise Unauthorized(SIGNATURE_MISMATCH)


def _get(session: requests.Session, url: str, params: dict[str, str]) -> requests.Response:
    import requests

    last_error = "no attempt"
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(BACKOFF_S[min(attempt - 1, len(BACKOFF_S) - 1)])
        try:
            response = session.get(url, params=params, timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S))
        except (requests.ConnectionError, requests.Timeout) as exc:
            last_error = type(exc).__name__
            _log.warning("storyblok request failed", extra={"attempt": attempt + 1, "error": last_error})
            continue
        if response.status_code not in RETRY_STATUSES:
            return response
        last_error = f"HTTP {response.status_code}"
        _log.warning("storyblok answered with a retryable status", extra={"attempt": attempt + 1, "status": last_error})
    raise StoryblokUnavailable(f"STORYBLOK_UNAVAILABLE: {last_error}")


def fetch_story(story_id: int) -> dict[str, Any] | None:
    """The published story object for a numeric story id, or None when the CDN has no published story."""
    import requests

    token = get_settings().storyblok_public_token
    if token is None:
        raise StoryblokUnavailable("STORYBLOK_PUBLIC_TOKEN is not configured")
    with requests.Session() as session:
        response = _get(
            session, f"{api_url()}/cdn/stories/{story_id}", {"token": token.get_secret_value(), "version": "published"}
        )
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        _log.error("storyblok refused the story request", extra={"status": response.status_code, "story_id": story_id})
        raise StoryblokUnavailable(f"STORYBLOK_UNAVAILABLE: HTTP {response.status_code}")
    try:
        payload = response.json()
    except ValueError as exc:
        raise StoryblokUnavailable("STORYBLOK_UNAVAILABLE: response is not JSON") from exc
    story = payload.get("story") if isinstance(payload, dict) else None
    if not isinstance(story, dict):
        raise StoryblokUnavailable("STORYBLOK_UNAVAILABLE: response has no story")
    return story
