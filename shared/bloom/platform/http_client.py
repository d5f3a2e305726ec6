"""The one HTTP client for third-party integrations: bounded retries, a timeout on every request, safe logs.

`integration_session(service)` returns a `requests.Session` that
- retries connection failures, and 429/500/502/503/504 answers, with exponential backoff, honouring
  `Retry-After` up to `MAX_RETRY_AFTER_S`. A failed connection is retried for any method (nothing was sent);
  a timeout or an error status only for idempotent methods, and POST/PATCH only when the caller says the call
  is idempotent. After the last attempt the last answer is returned, for the caller to classify;
- sets `DEFAULT_TIMEOUT_S` on every request sent without a timeout;
- logs one line per exchange: service, method, host, path, status and attempts. Never the query string (it may
  carry a token), headers or bodies; and not even the path when it is itself a credential (`log_path=False`,
  as for Slack's incoming webhooks).
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from bloom.core.logging import get_logger
from bloom.platform.store.request_checks import settle_checks

Timeout = tuple[float, float]  # (connect, read) seconds
DEFAULT_TIMEOUT_S: Timeout = (3.05, 10.0)
RETRIES = 2  # so at most 3 attempts
# Seconds: no wait before the first retry, then factor * 2 ** (n - 1). Small, as a webhook request is waiting.
BACKOFF_FACTOR = 0.25
MAX_RETRY_AFTER_S = 5  # a longer `Retry-After` is waited for this long only
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_log = get_logger(__name__)
# urllib3 logs each retry with the full URL, query string included; the line `send` logs replaces it.
logging.getLogger("urllib3").setLevel(logging.ERROR)


class IntegrationSession(requests.Session):
    """A Session whose every request has a timeout and leaves one log line without personal data."""

    def __init__(self, service: str, default_timeout: Timeout, *, log_path: bool) -> None:
        super().__init__()
        self.service = service
        self.default_timeout = default_timeout
        self.log_path = log_path

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Every request goes through here (redirects too), so this is where the timeout and the log are."""
        settle_checks()  # a request refused by its rate limit sends nothing
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        url = urlsplit(request.url or "")
        fields: dict[str, Any] = {
            "service": self.service,
            "method": request.method,
            "host": url.hostname,
            "path": url.path if self.log_path else "[not logged]",
        }
        started = time.perf_counter()
        try:
            response = super().send(request, **kwargs)
        except requests.RequestException as exc:
            # The exception's text quotes the URL, query string included: only its type is logged.
            _log.warning(f"{self.service} request failed", extra={**fields, "error": type(exc).__name__})
            raise
        retries = getattr(response.raw, "retries", None)
        fields |= {
            "status": response.status_code,
            "attempts": len(retries.history) + 1 if isinstance(retries, Retry) else 1,
            "latency": f"{time.perf_counter() - started:.4f}s",
        }
        (_log.warning if response.status_code >= 400 else _log.info)(f"{self.service} answered", extra=fields)
        return response


def retry_policy(*, idempotent: bool) -> Retry:
    """Retry failed connections always, timeouts and error statuses only where repeating the call is harmless."""
    methods = Retry.DEFAULT_ALLOWED_METHODS | ({"POST", "PATCH"} if idempotent else set())
    return Retry(
        total=RETRIES,
        connect=RETRIES,
        read=RETRIES,
        status=RETRIES,
        other=0,
        redirect=False,  # requests follows redirects itself, each hop with a fresh policy
        allowed_methods=methods,
        status_forcelist=RETRY_STATUSES,
        backoff_factor=BACKOFF_FACTOR,
        respect_retry_after_header=True,
        retry_after_max=MAX_RETRY_AFTER_S,
        raise_on_status=False,
    )


def integration_session(service: str, *, idempotent_post: bool = False, log_path: bool = True) -> IntegrationSession:
    """A session for calling `service` (its name in logs). `idempotent_post=True` lets POST/PATCH be retried too."""
    session = IntegrationSession(service, DEFAULT_TIMEOUT_S, log_path=log_path)
    adapter = HTTPAdapter(max_retries=retry_policy(idempotent=idempotent_post))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
