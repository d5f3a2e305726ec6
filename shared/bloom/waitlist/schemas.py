"""What the waitlist area shows callers: entries and the offers made to them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, model_validator

from bloom.core.models import CamelModel, RequestModel
from bloom.core.time import UtcDateTime

EntryStatus = Literal["waiting", "offered", "booked", "expired", "cancelled"]
MAX_RANGE_DAYS = 90
Id = Annotated[str, Field(min_length=1, max_length=128)]


class JoinWaitlist(RequestModel):
    """`POST waitlist`: wait for a time of this therapist starting and ending within [from, to]."""

    therapist_id: Id
    from_: UtcDateTime = Field(alias="from")
    to: UtcDateTime

    @model_validator(mode="after")
    def _range(self) -> JoinWaitlist:
        if self.to <= self.from_:
            raise ValueError("to: must be after from")
        if (self.to - self.from_).days > MAX_RANGE_DAYS:
            raise ValueError(f"to: at most {MAX_RANGE_DAYS} days after from")
        return self


class Offer(CamelModel):
    """A freed slot held in the patient's name until `expires_at`: booking the hold (`POST appointments`) takes it."""

    hold_id: str
    expires_at: datetime
    start: datetime
    end: datetime


class WaitlistEntry(CamelModel):
    id: str
    therapist_id: str
    patient_id: str
    from_: datetime = Field(alias="from")
    to: datetime
    status: EntryStatus
    offer: Offer | None
    created_at: datetime


class WaitlistEntries(CamelModel):
    items: list[WaitlistEntry]
