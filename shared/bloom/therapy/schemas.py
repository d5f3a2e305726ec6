"""What the therapy area shows callers: webhook bodies, a booking as Simplybook describes it, sessions out."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictInt

from bloom.core.models import CamelModel, RequestModel
from bloom.core.time import UtcDateTime  # a time without an offset (Simplybook's admin API writes them so) is UTC
from bloom.partners.schemas import PartnerAccessOut, TherapySessionOut

SimplybookNotificationType = Literal["create", "cancel", "change", "notify"]
ZapierAction = Literal["NEW_BOOKING", "CANCELLED_BOOKING", "UPDATED_BOOKING", "COMPLETED_BOOKING"]
TherapyAction = ZapierAction  # a session's `action`: what last happened to it
# Simplybook booking codes are short letters and digits; bounded so a code is always a valid document id.
BOOKING_CODE_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
BOOKING_ID_MAX = 2**63 - 1
TIMESTAMP_MAX = 253_402_300_799  # Unix seconds of 9999-12-31T23:59:59Z, the last a datetime holds
TEXT_MAX = 255


class SimplybookNotification(RequestModel):
    """Simplybook's own callback (snake_case on the wire): which booking, and what happened to it."""

    booking_id: StrictInt = Field(gt=0, le=BOOKING_ID_MAX)
    booking_hash: str = Field(pattern=r"^[a-fA-F0-9]{1,128}$")
    company: str = Field(min_length=1, max_length=TEXT_MAX)
    notification_type: SimplybookNotificationType
    webhook_timestamp: StrictInt = Field(ge=0, le=TIMESTAMP_MAX)  # required: the replay window needs it


class ZapierBooking(RequestModel):
    """The Zapier path's body: every field of the booking (snake_case on the wire)."""

    action: ZapierAction
    client_email: str | None = Field(default=None, max_length=TEXT_MAX)
    user_id: str | None = Field(default=None, min_length=1, max_length=100)
    client_timezone: str | None = Field(default=None, max_length=100)
    booking_code: str = Field(pattern=BOOKING_CODE_PATTERN)
    service_name: str = Field(default="", max_length=TEXT_MAX)
    service_provider_name: str = Field(default="", max_length=TEXT_MAX)
    service_provider_email: str | None = Field(default=None, max_length=TEXT_MAX)
    start_date_time: UtcDateTime
    end_date_time: UtcDateTime


class Booking(CamelModel):
    """A booking as we apply it, whichever path brought it (the Simplybook REST API, or a Zapier body)."""

    code: str = Field(pattern=BOOKING_CODE_PATTERN)
    simplybook_id: int | None = None
    user_id: str | None = None
    client_email: str | None = None
    client_timezone: str | None = None
    service_name: str = ""
    service_provider_name: str = ""
    service_provider_email: str | None = None
    start_date_time: UtcDateTime
    end_date_time: UtcDateTime


class AdminTherapySessionOut(TherapySessionOut):
    """A session for the team: who it belongs to and the access it charged (null when it charged none)."""

    user_id: str | None
    outcome: str
    partner_access: PartnerAccessOut | None


class AdminSessionQuery(RequestModel):
    user_id: str | None = Field(default=None, min_length=1, max_length=100)
    partner_id: str | None = Field(default=None, min_length=1, max_length=100)
    limit: int = Field(default=100, ge=1, le=500)
