"""Slack incoming webhooks: one POST per message, classified so Pub/Sub redelivery does the retrying.

The pattern every integration follows:
- configuration from settings (in production, Secret Manager secrets mapped to env vars, declared in `secrets=`
  of each function that posts to the channel);
- requests through the integrations' client (`bloom.platform.http_client`), always with a timeout; a failed
  connection is retried (nothing was sent), the POST itself never (Slack would show the message twice):
  a subscriber that fails is redelivered by Pub/Sub with backoff, and the event-id dedupe makes that safe;
- outcomes classified: success, transient (raise: redeliver) or permanent (`PermanentEventError`: log and ack);
- nothing secret or personal in logs or exception messages: never the webhook URL (it is the credential), never
  the message text, and `from None` so the requests exception (which quotes the URL) is not chained into traces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bloom.core.errors import PermanentEventError, TransientEventError
from bloom.core.logging import get_logger
from bloom.core.settings import get_settings

# (connect, read) seconds: short enough to stay well inside a subscriber's 60 s and Pub/Sub's ack deadline.
TIMEOUT_S = (3.05, 10.0)
_SLACK_ERROR_CODE = re.compile(r"^[a-z_]{1,64}$")
_log = get_logger(__name__)


@dataclass(frozen=True)
class Channel:
    """A Slack channel we post to, and the env var (= Secret Manager secret) holding its webhook URL."""

    name: str
    secret: str


USERS = Channel("users", "SLACK_WEBHOOK_URL_USERS")
THERAPY = Channel("therapy", "SLACK_WEBHOOK_URL_THERAPY")
DELETED_USERS = Channel("deleted-users", "SLACK_WEBHOOK_URL_DELETED_USERS")
SAFETY = Channel("safety", "SLACK_WEBHOOK_URL_SAFETY")
SUPPORT = Channel("support", "SLACK_WEBHOOK_URL_SUPPORT")


class SlackUnavailable(TransientEventError):
    """Slack could not take the message now (timeout, connection error, 429, 5xx): worth a redelivery."""


def webhook_url(channel: Channel) -> str | None:
    return get_settings().secret(channel.secret)


def post_message(channel: Channel, text: str) -> bool:
    """Post `text` to `channel`. False when the channel has no webhook configured (logged, nothing sent).

    Raises SlackUnavailable for failures worth retrying and PermanentEventError for ones that never will work.
    """
    url = webhook_url(channel)
    if url is None:
        _log.warning("slack channel not configured; message not sent", extra={"channel": channel.name})
        return False
    import requests

    from bloom.platform.http_client import integration_session

    try:
        with integration_session("slack", log_path=False) as session:  # the URL's path is the credential
            response = session.post(url, json={"text": text}, timeout=TIMEOUT_S, allow_redirects=False)
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise SlackUnavailable(f"slack {channel.name}: {type(exc).__name__}") from None
    except requests.RequestException as exc:  # malformed URL and the like: configuration, not a passing fault
        raise PermanentEventError(f"slack {channel.name}: webhook URL unusable ({type(exc).__name__})") from None
    status = response.status_code
    if 200 <= status < 300:
        _log.info("slack message posted", extra={"channel": channel.name})
        return True
    # Slack answers errors with a short code such as `invalid_payload` or `channel_is_archived`; keep only that.
    body = response.text.strip()
    reason = body if _SLACK_ERROR_CODE.match(body) else ""
    if status == 429 or status >= 500:
        raise SlackUnavailable(f"slack {channel.name}: HTTP {status} {reason}".rstrip())
    raise PermanentEventError(f"slack {channel.name}: HTTP {status} {reason}".rstrip())
