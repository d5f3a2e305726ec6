"""What the Crisp and Mailchimp clients share: how a provider's answer is classified.

No answer, 429 or 5xx → `ProviderUnavailable` (a subscriber raises TransientEventError: Pub/Sub retries it, and
dead-letters it after the limit); any other unexpected status → `ProviderRefused` (it will not succeed by
repeating it: logged without personal data and acknowledged). Messages carry the status, never an address.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import requests


class ProviderError(Exception):
    pass


class ProviderUnavailable(ProviderError):
    pass


class ProviderRefused(ProviderError):
    pass


def check(provider: str, action: str, response: requests.Response, *, ok: tuple[int, ...] = ()) -> None:
    """Raise for an answer that is not a success (2xx, or one of `ok`)."""
    from bloom.platform.http_client import RETRY_STATUSES

    if response.ok or response.status_code in ok:
        return
    if response.status_code in RETRY_STATUSES:
        raise ProviderUnavailable(f"{provider} {action}: HTTP {response.status_code}")
    raise ProviderRefused(f"{provider} {action}: HTTP {response.status_code}")


def unreachable(provider: str, action: str, exc: Exception) -> ProviderUnavailable:
    """For a request that got no answer (its text may quote the URL, an address in it: only the type is kept)."""
    return ProviderUnavailable(f"{provider} {action}: {type(exc).__name__}")
