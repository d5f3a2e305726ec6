"""One interface for the meeting providers (Zoom, Google Meet): create, find, move and delete an appointment's meeting.

A provider raises `ProviderUnavailable` for what may work later (connection errors, timeouts, 429, 5xx: the
subscriber raises and Pub/Sub redelivers) and `ProviderRefused` for what never will (configuration, a 4xx): the
subscriber acknowledges it with a log line. Neither message carries a token, a join URL or an email.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from bloom.core.errors import PermanentEventError

ProviderName = Literal["zoom", "meet"]
ZOOM_SECRETS = ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET")  # declared by functions that call Zoom


@dataclass(frozen=True)
class CreatedMeeting:
    """A meeting at the provider: its id there (Zoom's meeting id, Meet's space name) and the link to join."""

    meeting_id: str
    join_url: str


class ProviderError(Exception):
    """The provider did not do what we asked; the message names the step, never a token or a link."""


class ProviderUnavailable(ProviderError):
    """Down, slow or failing: worth trying again later."""


class ProviderRefused(ProviderError, PermanentEventError):
    """A refusal that retrying will not change (configuration, a request the provider rejects)."""


class MeetingProvider(Protocol):
    @property
    def name(self) -> ProviderName: ...

    def create(self, appointment_id: str, start: datetime, end: datetime) -> CreatedMeeting:
        """A new meeting for the appointment's time."""
        ...

    def find(self, appointment_id: str) -> CreatedMeeting | None:
        """The meeting an earlier `create` made for the appointment, when its answer was lost (None: none, or the
        provider cannot tell)."""
        ...

    def move(self, meeting_id: str, start: datetime, end: datetime) -> None:
        """Give the meeting the appointment's new time."""
        ...

    def delete(self, meeting_id: str) -> None:
        """Remove the meeting; one the provider no longer knows counts as removed."""
        ...


def meeting_topic(appointment_id: str) -> str:
    """What the meeting is called at the provider: no names, the appointment id so a lost creation can be found."""
    return f"Bloom session {appointment_id}"
