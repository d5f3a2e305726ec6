"""Mailchimp audience members, through the Marketing API v3.

Base `MAILCHIMP_API_URL` (`https://<dc>.api.mailchimp.com/3.0`), audience `MAILCHIMP_AUDIENCE_ID`, key
`MAILCHIMP_API_KEY` (HTTP Basic with any user name). A member is addressed by the MD5 of the lower-cased email:
- `PUT /lists/{audience}/members/{hash}` adds or updates the member with the whole field set;
- `POST /lists/{audience}/members/{hash}/events` records a named event on the member, which starts the customer
  journey (the transactional email) the team built on it: the event carries its name only (404: no such member);
- `POST /lists/{audience}/members/{hash}/actions/delete-permanent` erases it (404: already gone). Mailchimp
  will not take that address again through the API afterwards, which is what erasure wants.
Paths carry the address's hash, so they are not logged (`log_path=False`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from bloom.core.settings import get_settings
from bloom.crm.models import subscriber_hash
from bloom.crm.providers import ProviderRefused, check, unreachable

PROVIDER = "mailchimp"


def _member_url(email: str) -> tuple[str, tuple[str, str]]:
    settings = get_settings()
    url, audience, key = settings.mailchimp_api_url, settings.mailchimp_audience_id, settings.mailchimp_api_key
    if url is None or audience is None or key is None:
        raise ProviderRefused("mailchimp: not configured (MAILCHIMP_API_URL, MAILCHIMP_AUDIENCE_ID, MAILCHIMP_API_KEY)")
    base = f"{url.rstrip('/')}/lists/{quote(audience, safe='')}/members/{subscriber_hash(email)}"
    return base, ("bloom", key.get_secret_value())


def save_member(member: dict[str, Any]) -> None:
    import requests

    from bloom.platform.http_client import integration_session

    url, auth = _member_url(str(member["email_address"]))
    try:
        with integration_session(PROVIDER, log_path=False) as session:
            response = session.put(url, json=member, auth=auth)
    except requests.RequestException as exc:
        raise unreachable(PROVIDER, "save", exc) from None
    check(PROVIDER, "save member", response)


def delete_member(email: str) -> None:
    import requests

    from bloom.platform.http_client import integration_session

    url, auth = _member_url(email)
    try:
        with integration_session(PROVIDER, idempotent_post=True, log_path=False) as session:
            response = session.post(f"{url}/actions/delete-permanent", auth=auth)
    except requests.RequestException as exc:
        raise unreachable(PROVIDER, "delete", exc) from None
    check(PROVIDER, "delete member", response, ok=(404,))


def send_event(email: str, name: str) -> bool:
    """Record the event `name` on the member (a journey sends the email); False when there is no such member
    (404: never written, or archived or deleted in Mailchimp since)."""
    import requests

    from bloom.platform.http_client import integration_session

    url, auth = _member_url(email)
    try:
        with integration_session(PROVIDER, log_path=False) as session:
            response = session.post(f"{url}/events", json={"name": name}, auth=auth)
    except requests.RequestException as exc:
        raise unreachable(PROVIDER, "event", exc) from None
    check(PROVIDER, "member event", response, ok=(404,))
    return response.status_code != 404
