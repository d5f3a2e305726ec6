"""OpenAI's HTTP API for the areas that use it (messaging's moderation pass, credentialing's extractor).

Off when `OPENAI_API_KEY` is not set. One POST through the project's HTTP client, never retried, with the caller's
timeout; a failure to get an answer is logged with its error type only (never the request, the answer or the key)
and returns None, for the caller to fall back on its deterministic path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bloom.core.logging import get_logger
from bloom.core.settings import get_settings

if TYPE_CHECKING:
    import requests

    from bloom.platform.http_client import Timeout

_log = get_logger(__name__)


def enabled() -> bool:
    return get_settings().openai_api_key is not None


def post(path: str, body: dict[str, Any], timeout: float | Timeout) -> requests.Response | None:
    """`POST {OPENAI_API_URL}/{path}` with the key; None when no key is set or no answer came in time."""
    settings = get_settings()
    key = settings.openai_api_key
    if key is None:
        return None
    import requests

    from bloom.platform.http_client import integration_session

    try:
        with integration_session("openai") as session:
            return session.post(
                f"{settings.openai_api_url.rstrip('/')}/{path}",
                json=body,
                headers={"Authorization": f"Bearer {key.get_secret_value()}"},
                timeout=timeout,
            )
    except requests.RequestException as exc:
        _log.warning("openai unavailable", extra={"path": path, "errorType": type(exc).__name__})
        return None
