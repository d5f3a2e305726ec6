"""The optional model pass of moderation: OpenAI's moderation endpoint (`POST {OPENAI_API_URL}/moderations`).

Off when `OPENAI_API_KEY` is not set. A 2-second timeout, no retry of the POST: when the model cannot answer in
time (or answers something unusable) the caller keeps the deterministic verdict and the audit says so
(fail-open). Neither the text nor the key is ever logged.
"""

from __future__ import annotations

from bloom.core.logging import get_logger
from bloom.platform import openai

TIMEOUT_S = 2.0
MODEL = "omni-moderation-latest"
_log = get_logger(__name__)
enabled = openai.enabled


def flagged_categories(text: str) -> dict[str, bool] | None:
    """The categories the model flags for `text`, or None when the model pass is unavailable."""
    response = openai.post("moderations", {"model": MODEL, "input": text}, TIMEOUT_S)
    if response is None or response.status_code != 200:
        return None
    try:
        categories = response.json()["results"][0]["categories"]
    except (ValueError, KeyError, IndexError, TypeError):
        _log.warning("moderation model answered something unusable")
        return None
    if not isinstance(categories, dict):
        return None
    return {str(name): value is True for name, value in categories.items()}
