"""Stripe through its own SDK (`stripe`): PaymentIntents and Refunds with idempotency keys. One client per
process, configured from settings (`STRIPE_SECRET_KEY`, `STRIPE_API_BASE`), with a timeout on every request and
bounded retries (the SDK retries connection errors, 409, 429 and 5xx with the same idempotency key, so a retried
create never makes a second intent or refund).

The SDK is imported on first use: only the functions that talk to Stripe load it. Nothing here logs amounts with
ids of people, nor client secrets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from bloom.billing import errors
from bloom.core.errors import PermanentEventError
from bloom.core.logging import get_logger
from bloom.core.settings import get_settings

if TYPE_CHECKING:
    import stripe

TIMEOUT_S = (5.0, 20.0)  # connect, read
MAX_NETWORK_RETRIES = 2
_log = get_logger(__name__)


@dataclass(frozen=True)
class StripeIntent:
    id: str
    client_secret: str
    amount: int
    currency: str
    status: str


@lru_cache(maxsize=4)
def _client(api_key: str, api_base: str) -> stripe.StripeClient:
    import stripe

    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base},
        max_network_retries=MAX_NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=TIMEOUT_S),
    )


def client() -> stripe.StripeClient:
    settings = get_settings()
    if settings.stripe_secret_key is None:
        _log.error("STRIPE_SECRET_KEY is not configured; payments are unavailable")
        raise errors.PAYMENTS_UNAVAILABLE.error()
    return _client(settings.stripe_secret_key.get_secret_value(), settings.stripe_api_base.rstrip("/"))


def _intent(found: Any) -> StripeIntent:
    return StripeIntent(
        id=found.id,
        client_secret=found.client_secret,
        amount=found.amount,
        currency=found.currency,
        status=found.status,
    )


def _unavailable(action: str, error: Exception) -> Exception:
    _log.error("stripe refused or failed", extra={"action": action, "error_type": type(error).__name__})
    return errors.PAYMENTS_UNAVAILABLE.error()


def create_intent(*, amount: int, currency: str, metadata: Mapping[str, str], idempotency_key: str) -> StripeIntent:
    """A PaymentIntent for the amount, paid with any method the account enables; the key makes a repeat of the
    same request (in Stripe's 24-hour window) return the same intent."""
    import stripe

    params: Any = {
        "amount": amount,
        "currency": currency.lower(),
        "metadata": dict(metadata),
        "automatic_payment_methods": {"enabled": True},
    }
    try:
        found = client().v1.payment_intents.create(params=params, options={"idempotency_key": idempotency_key})
    except stripe.StripeError as error:
        raise _unavailable("create payment intent", error) from error
    return _intent(found)


def retrieve_intent(intent_id: str) -> StripeIntent:
    import stripe

    try:
        return _intent(client().v1.payment_intents.retrieve(intent_id))
    except stripe.StripeError as error:
        raise _unavailable("retrieve payment intent", error) from error


def create_refund(*, intent_id: str, amount: int, idempotency_key: str) -> str:
    """Refund `amount` of the intent's charge; the refund's id. Stripe confirms it with `charge.refunded`. Only
    subscribers ask for refunds: a refusal Stripe would repeat is permanent (logged, not redelivered)."""
    import stripe

    params: Any = {"payment_intent": intent_id, "amount": amount}
    try:
        refund = client().v1.refunds.create(params=params, options={"idempotency_key": idempotency_key})
    except stripe.InvalidRequestError as error:  # asking again cannot help (e.g. refunded in the dashboard)
        _log.error("stripe refused a refund; it needs a person", extra={"stripe_code": error.code})
        raise PermanentEventError("stripe refused the refund") from None
    except stripe.StripeError as error:
        raise _unavailable("create refund", error) from error
    return str(refund.id)
