"""Zoom: Server-to-Server OAuth and the meetings API (create, find, move, delete).

Settings: `ZOOM_API_URL` (default `https://api.zoom.us/v2`), `ZOOM_OAUTH_URL` (default `https://zoom.us`) and the
secrets `ZOOM_ACCOUNT_ID`, `ZOOM_CLIENT_ID`, `ZOOM_CLIENT_SECRET`. The access token comes from
`POST {ZOOM_OAUTH_URL}/oauth/token?grant_type=account_credentials&account_id=…` with the client id and secret as
Basic credentials; it is cached for every instance (`bloom.platform.token_lease`, `cachedTokens/zoom`) until five
minutes before the `expires_in` Zoom announces, so concurrent creations make one token request, and a call
answered 401 drops it and is tried once more with a fresh one.

Meetings are created for the account's own user (`users/me`): scheduled (type 2) at the appointment's start for its
length, in UTC, with the waiting room on, no recording, nobody before the host. The topic carries the appointment
id (no names), which is how a creation whose answer was lost is found again.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from bloom.core.settings import get_settings
from bloom.platform.api_calls import ApiFailures, json_exchange
from bloom.platform.token_lease import IssuedToken, TokenLease, oauth_token
from bloom.telehealth.providers import CreatedMeeting, ProviderRefused, ProviderUnavailable, meeting_topic

SCHEDULED_MEETING = 2
FIND_PAGES = 5  # 300 meetings a page: the account's scheduled meetings are searched this far


class ZoomMeetingNotFound(ProviderRefused):
    """Zoom does not know the meeting."""


class _Meeting(BaseModel):
    id: int | str
    join_url: str
    topic: str = ""


class _MeetingList(BaseModel):
    meetings: list[_Meeting] = []
    next_page_token: str = ""


def _secret(name: str) -> str:
    value = get_settings().secret(name)
    if value is None:
        raise ProviderRefused(f"{name} is not configured")
    return value


_FAILURES = ApiFailures(unavailable=ProviderUnavailable, refused=ProviderRefused, not_found=ZoomMeetingNotFound)


def _send(method: str, url: str, step: str, *, token: str | None = None, **request: Any) -> Any:
    """One exchange: the parsed JSON (None for an empty answer), or raise. 401 with a bearer token raises
    `TokenRejected`, 404 `ZoomMeetingNotFound`. PATCH and DELETE repeat safely; a POST that creates is not retried
    once it may have been received."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return json_exchange(
        "zoom",
        method,
        url,
        step=step,
        failures=_FAILURES,
        authorised=token is not None,
        idempotent_post=method != "POST",
        headers=headers,
        **request,
    )


def _issue_token() -> IssuedToken:
    settings = get_settings()
    answer = _send(
        "POST",
        f"{settings.zoom_oauth_url.rstrip('/')}/oauth/token",
        "zoom token",
        params={"grant_type": "account_credentials", "account_id": _secret("ZOOM_ACCOUNT_ID")},
        auth=(_secret("ZOOM_CLIENT_ID"), _secret("ZOOM_CLIENT_SECRET")),
    )
    return oauth_token(answer, "zoom", refused=ProviderRefused)


TOKEN = TokenLease("zoom", _issue_token, unavailable=ProviderUnavailable, refused=ProviderRefused)


def _api(method: str, path: str, *, body: dict[str, Any] | None = None, params: dict[str, Any] | None = None) -> Any:
    url = f"{get_settings().zoom_api_url.rstrip('/')}{path}"
    step = f"zoom {method} {path.split('/')[1]}"
    return TOKEN.call(lambda token: _send(method, url, step, token=token, json=body, params=params))


def _times(start: datetime, end: datetime) -> dict[str, Any]:
    minutes = max(1, round((end - start).total_seconds() / 60))
    utc_start = start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"start_time": utc_start, "duration": minutes, "timezone": "UTC"}


def _created(answer: Any) -> CreatedMeeting:
    try:
        meeting = _Meeting.model_validate(answer)
    except ValidationError:
        raise ProviderRefused("zoom answered no usable meeting") from None
    return CreatedMeeting(meeting_id=str(meeting.id), join_url=meeting.join_url)


class ZoomMeetings:
    name: Literal["zoom"] = "zoom"

    def create(self, appointment_id: str, start: datetime, end: datetime) -> CreatedMeeting:
        body = {
            "topic": meeting_topic(appointment_id),
            "type": SCHEDULED_MEETING,
            **_times(start, end),
            "settings": {"waiting_room": True, "auto_recording": "none", "join_before_host": False},
        }
        return _created(_api("POST", "/users/me/meetings", body=body))

    def find(self, appointment_id: str) -> CreatedMeeting | None:
        topic = meeting_topic(appointment_id)
        params: dict[str, Any] = {"type": "scheduled", "page_size": 300}
        for _ in range(FIND_PAGES):
            try:
                page = _MeetingList.model_validate(_api("GET", "/users/me/meetings", params=params))
            except ValidationError:
                raise ProviderRefused("zoom answered no usable meeting list") from None
            found = next((meeting for meeting in page.meetings if meeting.topic == topic), None)
            if found is not None:
                return CreatedMeeting(meeting_id=str(found.id), join_url=found.join_url)
            if not page.next_page_token:
                return None
            params = {**params, "next_page_token": page.next_page_token}
        return None

    def move(self, meeting_id: str, start: datetime, end: datetime) -> None:
        _api("PATCH", f"/meetings/{meeting_id}", body=_times(start, end))

    def delete(self, meeting_id: str) -> None:
        with contextlib.suppress(ZoomMeetingNotFound):  # already gone
            _api("DELETE", f"/meetings/{meeting_id}")
