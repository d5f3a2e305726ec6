"""Simplybook's REST admin API: sign-in (with an optional TOTP second factor), read a booking, cancel one.

Configuration from settings: `SIMPLYBOOK_API_URL` (default `https://user-api-v2.simplybook.me`),
`SIMPLYBOOK_COMPANY`, and the secrets `SIMPLYBOOK_LOGIN`, `SIMPLYBOOK_PASSWORD`, `SIMPLYBOOK_TOTP_SECRET` (only
when the account has two-factor sign-in; `pyotp` computes the code).

A token lives an hour. It is cached for every instance in Firestore (`cachedTokens/simplybook-admin`, through
`bloom.platform.token_lease`) for at most `TOKEN_LIFETIME` (55 minutes), and only one instance refreshes it at a
time: the refresher takes a lease in a transaction, the others wait for its token (or take over when the lease
lapses). A call answered 401 drops the token and is tried once more with a fresh one.

Requests go through the integrations' client (timeouts, bounded retries on connection errors, 429 and 5xx).
Failures raise `SimplybookUnavailable` (worth retrying: Simplybook down, slow or failing) or `SimplybookRefused`
(configuration or a booking Simplybook does not know): subscribers map them to a redelivery or an
acknowledgement, the cancel endpoint to 502. Logs never carry tokens, codes or booking contents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError

from bloom.core.errors import ErrorSpec
from bloom.core.logging import get_logger
from bloom.core.settings import get_settings
from bloom.platform.api_calls import ApiFailures, json_exchange
from bloom.platform.token_lease import IssuedToken, TokenLease
from bloom.platform.webhook_verification import configured_secret, same_secret, within_window
from bloom.therapy import errors
from bloom.therapy.schemas import Booking, SimplybookNotification

TOKEN_LIFETIME = timedelta(minutes=55)
SECRETS = ("SIMPLYBOOK_LOGIN", "SIMPLYBOOK_PASSWORD", "SIMPLYBOOK_TOTP_SECRET")
_log = get_logger(__name__)


class SimplybookError(Exception):
    """Simplybook could not do what we asked; the message names the step, never a token or booking data."""


class SimplybookUnavailable(SimplybookError):
    """Down, slow, or failing (connection error, timeout, 429, 5xx): worth trying again later."""


class SimplybookRefused(SimplybookError):
    """A refusal that retrying will not change (configuration, an unknown booking, an unusable answer)."""


class _Named(BaseModel):
    name: str = ""
    email: str | None = None


class _Field(BaseModel):
    field_name: str | None = None
    value: Any = None


class _ApiBooking(BaseModel):
    """`GET /admin/bookings/{id}` as we read it (other fields ignored)."""

    id: int
    code: str
    start_datetime: datetime
    end_datetime: datetime
    service: _Named | None = None
    provider: _Named | None = None
    client: _Named | None = None
    additional_fields: list[_Field] = []


def _base() -> str:
    return get_settings().simplybook_api_url.rstrip("/")


def _company() -> str:
    company = get_settings().simplybook_company
    if not company:
        raise SimplybookRefused("SIMPLYBOOK_COMPANY is not configured")
    return company


def _secret(name: str) -> str | None:
    return get_settings().secret(name)


def _send(method: str, path: str, *, token: str | None = None, body: dict[str, Any] | None = None) -> Any:
    """One exchange with the admin API: the parsed JSON, or raise. 401 with a token raises `TokenRejected`."""
    headers = {"X-Company-Login": _company()}
    if token is not None:
        headers["X-Token"] = token
    return json_exchange(
        "simplybook",
        method,
        f"{_base()}{path}",
        step=f"simplybook {method} {path.split('/')[2]}",
        failures=_FAILURES,
        authorised=token is not None,
        idempotent_post=True,
        json=body,
        headers=headers,
    )


class SimplybookNotFound(SimplybookRefused):
    """Simplybook does not know the booking."""


_FAILURES = ApiFailures(unavailable=SimplybookUnavailable, refused=SimplybookRefused, not_found=SimplybookNotFound)


# ------------------------------------------------------------------ tokens


def _sign_in() -> str:
    """A fresh token: password sign-in, then the TOTP second factor when Simplybook asks for it."""
    login, password = _secret("SIMPLYBOOK_LOGIN"), _secret("SIMPLYBOOK_PASSWORD")
    if login is None or password is None:
        raise SimplybookRefused("SIMPLYBOOK_LOGIN / SIMPLYBOOK_PASSWORD are not configured")
    answer = _send("POST", "/admin/auth", body={"company": _company(), "login": login, "password": password})
    if isinstance(answer, dict) and answer.get("require2fa"):
        totp_secret = _secret("SIMPLYBOOK_TOTP_SECRET")
        if totp_secret is None:
            raise SimplybookRefused("simplybook asks for a second factor and SIMPLYBOOK_TOTP_SECRET is not configured")
        import pyotp

        second = {
            "company": _company(),
            "session_id": str(answer.get("auth_session_id", "")),
            "type": "ga",
            "code": pyotp.TOTP(totp_secret).now(),
        }
        answer = _send("POST", "/admin/auth/2fa", body=second)
    token = answer.get("token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise SimplybookRefused("simplybook sign-in answered no token")
    _log.info("simplybook token refreshed")
    return token


def _issue_token() -> IssuedToken:
    return IssuedToken(_sign_in(), TOKEN_LIFETIME)


_TOKEN = TokenLease("simplybook-admin", _issue_token, unavailable=SimplybookUnavailable, refused=SimplybookRefused)


def _authorised(method: str, path: str) -> Any:
    return _TOKEN.call(lambda token: _send(method, path, token=token))


# ------------------------------------------------------------------ bookings


def get_booking(booking_id: int) -> Booking:
    """The booking as Simplybook has it now (cancelled ones included)."""
    answer = _authorised("GET", f"/admin/bookings/{booking_id}")
    try:
        found = _ApiBooking.model_validate(answer)
    except ValidationError as exc:
        raise SimplybookRefused(f"simplybook booking unusable ({exc.error_count()} problems)") from None
    user_field = next((f.value for f in found.additional_fields if f.field_name == "user_id"), None)
    try:
        return Booking(
            code=found.code,
            simplybook_id=found.id,
            user_id=str(user_field).strip() or None if user_field is not None else None,
            client_email=found.client.email if found.client else None,
            service_name=found.service.name if found.service else "",
            service_provider_name=found.provider.name if found.provider else "",
            service_provider_email=found.provider.email if found.provider else None,
            start_date_time=found.start_datetime,
            end_date_time=found.end_datetime,
        )
    except ValidationError:
        raise SimplybookRefused("simplybook booking code unusable") from None


def cancel_booking(booking_id: int) -> None:
    """Cancel a booking in Simplybook. One Simplybook no longer knows counts as cancelled."""
    try:
        _authorised("DELETE", f"/admin/bookings/{booking_id}")
    except SimplybookNotFound:
        _log.warning("simplybook booking to cancel was not found; treated as cancelled")


# ------------------------------------------------------------------ the callback's verification


@dataclass(frozen=True)
class CallbackCheck:
    """How Simplybook's callback proves itself: `?token=` equal to `SIMPLYBOOK_WEBHOOK_TOKEN` (constant time, before
    anything is parsed); then, in the validated body, `company` equal to `SIMPLYBOOK_COMPANY` and
    `webhook_timestamp` (required) within `tolerance_s` of now, so a captured delivery cannot be replayed later."""

    credential: str = "SIMPLYBOOK_WEBHOOK_TOKEN"
    tolerance_s: int = 300

    @property
    def errors(self) -> tuple[ErrorSpec, ...]:
        return (errors.WEBHOOK_TOKEN_INVALID, errors.WEBHOOK_COMPANY_INVALID, errors.WEBHOOK_TIMESTAMP_STALE)

    def verify(self, raw_body: bytes, headers: Mapping[str, str], query: Mapping[str, str]) -> None:
        expected = configured_secret(self.credential, errors.WEBHOOK_TOKEN_INVALID)
        received = query.get("token", "")
        if not received or not same_secret(expected, received):
            raise errors.WEBHOOK_TOKEN_INVALID.error()

    def verify_body(self, body: Any) -> None:
        if not isinstance(body, SimplybookNotification):
            raise TypeError("the Simplybook callback's body is a SimplybookNotification")
        company = get_settings().simplybook_company
        if company is None or not same_secret(company, body.company):
            raise errors.WEBHOOK_COMPANY_INVALID.error()
        if not within_window(body.webhook_timestamp, self.tolerance_s):
            raise errors.WEBHOOK_TIMESTAMP_STALE.error()
