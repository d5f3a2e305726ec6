"""Storyblok: the webhook's messages and the Content Delivery API (`GET {base}/cdn/stories/{id}`).

Configuration comes from settings: `STORYBLOK_API_URL` (default the EU region's
`https://api.storyblok.com/v2`), `STORYBLOK_PUBLIC_TOKEN` (the space's public access token) and
`STORYBLOK_WEBHOOK_SECRET` (the secret the webhook signs with), both from Secret Manager when deployed.

A story is fetched without a `cv`: the CDN then redirects to the space's latest cache version, so a story
just published is what we read. Requests go through the integrations' client (`bloom.platform.http_client`:
timeouts, bounded retries on connection errors, 429 and 5xx); a 404 means the story is not published (there is
nothing to copy).
"""

from __future__ import annotations

from typing import Any

from bloom.core.errors import BadGateway
from bloom.core.logging import get_logger
from bloom.core.settings import get_settings
from bloom.core.validation import nesting_exceeds

DEFAULT_API_URL = "https://api.storyblok.com/v2"
_log = get_logger(__name__)


class StoryblokUnavailable(BadGateway):
    """Storyblok could not be reached or answered something unusable; the webhook answers 502."""


def api_url() -> str:
    return get_settings().storyblok_api_url.rstrip("/")


def fetch_story(story_id: int) -> dict[str, Any] | None:
    """The published story object for a numeric story id, or None when the CDN has no published story."""
    import requests

    from bloom.platform.http_client import integration_session

    token = get_settings().storyblok_public_token
    if token is None:
        raise StoryblokUnavailable("STORYBLOK_PUBLIC_TOKEN is not configured")
    try:
        with integration_session("storyblok") as session:
            response = session.get(
                f"{api_url()}/cdn/stories/{story_id}",
                params={"token": token.get_secret_value(), "version": "published"},
            )
    except requests.RequestException as exc:  # its text quotes the URL, token included: not chained
        raise StoryblokUnavailable(f"STORYBLOK_UNAVAILABLE: {type(exc).__name__}") from None
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        _log.error("storyblok did not serve the story", extra={"status": response.status_code, "story_id": story_id})
        raise StoryblokUnavailable(f"STORYBLOK_UNAVAILABLE: HTTP {response.status_code}")
    if nesting_exceeds(response.content):
        raise StoryblokUnavailable("STORYBLOK_UNAVAILABLE: response nested too deep")
    try:
        payload = response.json()
    except ValueError as exc:
        raise StoryblokUnavailable("STORYBLOK_UNAVAILABLE: response is not JSON") from exc
    story = payload.get("story") if isinstance(payload, dict) else None
    if not isinstance(story, dict):
        raise StoryblokUnavailable("STORYBLOK_UNAVAILABLE: response has no story")
    return story
