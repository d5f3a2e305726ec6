"""respond.io, through its workflow webhooks (the original system's Zapier-style triggers).

`RESPOND_IO_CREATE_CONTACT_WEBHOOK` receives `POST {phonenumber, name}` and creates (or updates) the contact;
`RESPOND_IO_DELETE_CONTACT_WEBHOOK` receives `POST {phonenumber}` and deletes it. Both URLs carry their
credential, so they are secrets and never logged (`log_path=False`). Both calls are idempotent on respond.io's
side (a contact is keyed by its number), so the client may retry them.

Failures: no answer, 429 or 5xx → `RespondIoUnavailable` (worth retrying); any other non-2xx →
`RespondIoRefused` (it will not succeed by repeating it). Neither carries the number.
"""

from __future__ import annotations

from pydantic import SecretStr

from bloom.core.logging import get_logger
from bloom.core.settings import get_settings

_log = get_logger(__name__)


class RespondIoError(Exception):
    pass


class RespondIoUnavailable(RespondIoError):
    """Unreachable or failing for now: try again later."""


class RespondIoRefused(RespondIoError):
    """Refused the call (or is not configured): repeating it will not help."""


def create_contact(phone_number: str, name: str) -> None:
    _post(
        "create contact", get_settings().respond_io_create_contact_webhook, {"phonenumber": phone_number, "name": name}
    )


def delete_contact(phone_number: str) -> None:
    _post("delete contact", get_settings().respond_io_delete_contact_webhook, {"phonenumber": phone_number})


def _post(action: str, url: SecretStr | None, body: dict[str, str]) -> None:
    import requests

    from bloom.platform.http_client import RETRY_STATUSES, integration_session

    if url is None:
        _log.error("respond.io webhook is not configured", extra={"action": action})
        raise RespondIoRefused(f"{action}: not configured")
    try:
        with integration_session("respond.io", idempotent_post=True, log_path=False) as session:
            response = session.post(url.get_secret_value(), json=body)
    except requests.RequestException as exc:  # its text quotes the URL (a credential): not chained
        raise RespondIoUnavailable(f"{action}: {type(exc).__name__}") from None
    if response.status_code in RETRY_STATUSES:
        raise RespondIoUnavailable(f"{action}: HTTP {response.status_code}")
    if not response.ok:
        raise RespondIoRefused(f"{action}: HTTP {response.status_code}")
