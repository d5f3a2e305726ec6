"""Google Meet: a meeting space per appointment through the Meet REST API (`POST {GOOGLE_MEET_API_URL}/v2/spaces`).

The space is restricted (`config.accessType: RESTRICTED`: only those invited join without knocking, the others
knock and are admitted or not) and its `meetingUri` is the appointment's link. Requests are authorised with the
function's own service-account credentials (google-auth's default credentials, scope
`meetings.space.created`), or with the service-account key file `GOOGLE_MEET_CREDENTIALS_FILE` names (self-hosting
outside Google Cloud; the tests point its token endpoint at a fake). Each instance keeps its credentials and
refreshes them when they expire; a 401 refreshes them once more.

A space has no time, so a reschedule changes nothing. The API deletes no space (`endActiveConference` only ends a
call in progress), so a cancelled appointment's space is left as it is: nobody is sent its link again, and no one
gets in without being admitted. The API lists no spaces either: a creation whose answer was lost cannot be found,
and is made again (the first space stays unused and unknown to anyone).
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ValidationError

from bloom.core.settings import get_settings
from bloom.telehealth.providers import CreatedMeeting, ProviderRefused, ProviderUnavailable

if TYPE_CHECKING:
    from google.auth.credentials import Credentials

SCOPE = "https://www.googleapis.com/auth/meetings.space.created"
_credentials: Credentials | None = None
_credentials_lock = threading.Lock()


class _Space(BaseModel):
    name: str
    meetingUri: str  # noqa: N815 - Meet's own name


class _Rejected(Exception):
    """Meet refused the bearer token."""


def _token(*, renew: bool = False) -> str:
    """A valid access token of the credentials, refreshed when expired (or when `renew`)."""
    global _credentials
    import google.auth
    from google.auth import exceptions
    from google.auth.transport.requests import Request

    from bloom.platform.http_client import integration_session

    with _credentials_lock:
        try:
            if _credentials is None:
                key_file = get_settings().google_meet_credentials_file
                if key_file:
                    from google.oauth2 import service_account

                    _credentials = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
                        key_file, scopes=[SCOPE]
                    )
                else:
                    _credentials, _ = google.auth.default(scopes=[SCOPE])
            if renew or not _credentials.valid:
                with integration_session("google-oauth", log_path=False) as session:
                    _credentials.refresh(Request(session=session))
        except exceptions.TransportError as exc:
            raise ProviderUnavailable(f"meet credentials: {type(exc).__name__}") from None
        except exceptions.RefreshError as exc:
            if getattr(exc, "retryable", False):
                raise ProviderUnavailable("meet credentials: refresh failed") from None
            raise ProviderRefused("meet credentials: refresh refused") from None
        except (exceptions.DefaultCredentialsError, OSError, ValueError):
            raise ProviderRefused("meet credentials are not configured or unusable") from None
        token = _credentials.token
    if not isinstance(token, str):
        raise ProviderRefused("meet credentials gave no token")
    return token


def _create_space(token: str) -> Any:
    import requests

    from bloom.platform.http_client import integration_session

    url = f"{get_settings().google_meet_api_url.rstrip('/')}/v2/spaces"
    body = {"config": {"accessType": "RESTRICTED"}}
    try:
        with integration_session("meet") as session:  # a creation is not repeated once it may have been received
            response = session.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"meet spaces.create: {type(exc).__name__}") from None
    status = response.status_code
    if status == 401:
        raise _Rejected
    if status == 429 or status >= 500:
        raise ProviderUnavailable(f"meet spaces.create: HTTP {status}")
    if status >= 400:
        raise ProviderRefused(f"meet spaces.create: HTTP {status}")
    try:
        return response.json()
    except ValueError:
        raise ProviderRefused("meet spaces.create: the answer is not JSON") from None


class MeetSpaces:
    name: Literal["meet"] = "meet"

    def create(self, appointment_id: str, start: datetime, end: datetime) -> CreatedMeeting:
        try:
            answer = _create_space(_token())
        except _Rejected:
            try:
                answer = _create_space(_token(renew=True))
            except _Rejected:
                raise ProviderRefused("meet refused fresh credentials") from None
        try:
            space = _Space.model_validate(answer)
        except ValidationError:
            raise ProviderRefused("meet answered no usable space") from None
        return CreatedMeeting(meeting_id=space.name, join_url=space.meetingUri)

    def find(self, appointment_id: str) -> CreatedMeeting | None:
        return None  # the API lists no spaces

    def move(self, meeting_id: str, start: datetime, end: datetime) -> None:
        return None  # a space has no time

    def delete(self, meeting_id: str) -> None:
        return None  # the API deletes no space: see the module's note
