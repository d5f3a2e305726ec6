"""The digest's Slack messages through slack-sdk's Web API client (`chat.postMessage`).

A bot token (`SLACK_BOT_TOKEN`) posts to `SLACK_REPORTING_CHANNEL`, with the API at `SLACK_API_URL` (tests
point it at a local fake). slack-sdk was picked over the incoming webhooks the notifications use because the
digest needs threads: `chat.postMessage` returns the message's `ts`, which the replies name as `thread_ts`.
Failures are reported as `SlackFailed` carrying Slack's short error code or the exception's type only, never
the token or the message text.
"""

from __future__ import annotations

from bloom.core.logging import get_logger
from bloom.core.settings import get_settings

TIMEOUT_S = 10
_log = get_logger(__name__)


class SlackFailed(Exception):
    """Slack did not take a message (not configured, unreachable, or an error answer)."""


def post(text: str, thread_ts: str | None = None) -> str:
    """Post `text` (in the thread of `thread_ts`, if given) and return the new message's ts."""
    settings = get_settings()
    token = settings.slack_bot_token
    channel = settings.slack_reporting_channel
    if token is None or not channel:
        raise SlackFailed("reporting channel not configured")
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token=token.get_secret_value(), base_url=settings.slack_api_url, timeout=TIMEOUT_S)
    try:
        response = client.chat_postMessage(channel=channel, text=text, thread_ts=thread_ts)
    except SlackApiError as exc:
        code = exc.response.get("error") if exc.response is not None else None
        raise SlackFailed(f"slack answered {code or exc.response.status_code}") from None
    except Exception as exc:  # connection refused, timeout, malformed answer: the SDK raises several kinds
        raise SlackFailed(f"slack unreachable ({type(exc).__name__})") from None
    ts = response.get("ts")
    if not isinstance(ts, str):
        raise SlackFailed("slack answer without ts")
    _log.info("reporting message posted", extra={"threaded": thread_ts is not None})
    return ts
