"""What Zoom's webhook sends us (only the fields we use: ids and times, never names or emails) and the proof the
URL validation is answered with."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bloom.core.models import CamelModel

URL_VALIDATION = "endpoint.url_validation"
PARTICIPANT_JOINED = "meeting.participant_joined"
MEETING_ENDED = "meeting.ended"


class ZoomParticipant(BaseModel):
    id: str = Field("", max_length=128, description="The participant's Zoom user id when signed in to Zoom")
    participant_uuid: str = Field("", max_length=128)


class ZoomMeetingObject(BaseModel):
    id: int | str | None = Field(None, description="The meeting id")
    uuid: str = Field("", max_length=128, description="This occurrence of the meeting")
    host_id: str = Field("", max_length=128, description="The Zoom user id of the meeting's host")
    participant: ZoomParticipant | None = None


class ZoomPayload(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    plain_token: str | None = Field(None, alias="plainToken", min_length=1, max_length=256)
    object: ZoomMeetingObject | None = None


class ZoomEvent(BaseModel):
    """A delivery of Zoom's webhook: the URL validation, a participant joining, a meeting ending (others are
    received and ignored)."""

    event: str = Field(max_length=128)
    event_ts: int
    payload: ZoomPayload

    def delivery_key(self) -> str:
        """One key per event (Zoom sends a retry with the same body)."""
        found = self.payload.object
        if found is None:
            return f"{self.event}:{self.event_ts}"
        participant = found.participant.participant_uuid if found.participant else ""
        return f"{self.event}:{self.event_ts}:{found.id}:{found.uuid}:{participant}"


class ZoomUrlValidation(CamelModel):
    """The answer to `endpoint.url_validation`: the plain token and its hex HMAC-SHA256 with the secret token."""

    plain_token: str
    encrypted_token: str
