"""What the subscriptions area shows callers: the Subscription object and the request bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field

from bloom.core.models import CamelModel, RequestModel

PHONE_INPUT_MAX = 40


def _e164(value: str) -> str:
    """An E.164 number (`+447700900123`) from what the user typed (spaces removed); ValueError when invalid."""
    import phonenumbers

    compact = "".join(value.split())
    if not compact.startswith("+"):
        raise ValueError("must be a phone number in international format, starting with +")
    try:
        parsed = phonenumbers.parse(compact, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("must be a valid phone number") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("must be a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


PhoneNumber = Annotated[str, Field(min_length=1, max_length=PHONE_INPUT_MAX), AfterValidator(_e164)]


class CreateWhatsappSubscription(RequestModel):
    subscription_info: PhoneNumber


class CancelSubscription(RequestModel):
    """The frontend sends the time it cancelled; the record keeps the server's clock."""

    cancelled_at: datetime | None = None


class SubscriptionOut(CamelModel):
    id: str
    subscription_id: str
    subscription_name: str
    subscription_info: str | None
    created_at: datetime
    cancelled_at: datetime | None
