"""How a Stripe webhook delivery proves it is Stripe's: the scheme the webhook toolkit runs on the raw body."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bloom.billing import errors
from bloom.core.errors import ErrorSpec
from bloom.core.logging import get_logger
from bloom.platform.webhook_verification import NO_QUERY, configured_secret

SIGNATURE_TOLERANCE_S = 300
_log = get_logger(__name__)


@dataclass(frozen=True)
class StripeSignature:
    """Stripe's `Stripe-Signature` (`t=…,v1=…`) checked by the SDK (`WebhookSignature.verify_header`) on the raw
    body with a 300-second tolerance. Stripe's convention is 400 for a delivery that fails it."""

    credential: str = "STRIPE_WEBHOOK_SECRET"
    header: str = "stripe-signature"
    tolerance_s: int = SIGNATURE_TOLERANCE_S
    invalid: ErrorSpec = errors.STRIPE_SIGNATURE_INVALID

    @property
    def errors(self) -> tuple[ErrorSpec, ...]:
        return (self.invalid,)

    def verify(self, raw_body: bytes, headers: Mapping[str, str], query: Mapping[str, str] = NO_QUERY) -> None:
        import stripe

        received = headers.get(self.header, "").strip()
        if not received:
            raise self.invalid.error()
        secret = configured_secret(self.credential, self.invalid)
        try:
            payload = raw_body.decode("utf-8")
            stripe.WebhookSignature.verify_header(payload, received, secret, tolerance=self.tolerance_s)
        except (stripe.SignatureVerificationError, UnicodeDecodeError):
            _log.warning("stripe webhook delivery refused: bad or stale signature")
            raise self.invalid.error() from None
