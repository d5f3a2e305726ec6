"""How a webhook delivery proves it comes from its provider: signatures, shared tokens and the signed-time window.

Pure checks on the raw delivery (no storage, no parsing of the body): each scheme compares in constant time and
raises its 401 error. A secret that is not configured rejects every delivery and logs an error. The receiver that
runs them, and what happens after, is `bloom.platform.webhooks`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, Protocol, runtime_checkable

from bloom.core.errors import ErrorCatalogue, ErrorSpec
from bloom.core.logging import get_logger
from bloom.core.settings import get_settings
from bloom.core.time import utcnow

ERRORS = ErrorCatalogue("webhooks")
SIGNATURE_MISSING = ERRORS.declare(401, "WEBHOOK_SIGNATURE_MISSING")
SIGNATURE_MISMATCH = ERRORS.declare(401, "WEBHOOK_SIGNATURE_MISMATCH")
TOKEN_MISSING = ERRORS.declare(401, "WEBHOOK_TOKEN_MISSING")
TOKEN_MISMATCH = ERRORS.declare(401, "WEBHOOK_TOKEN_MISMATCH")
MILLISECONDS_FROM = 10**12  # Unix seconds reach this in the year 33658; milliseconds passed it in 2001
NO_QUERY: Mapping[str, str] = MappingProxyType({})
_log = get_logger(__name__)


def read_secret(name: str) -> str | None:
    """A secret by name: an env var locally, a Secret Manager secret mapped to one when deployed."""
    return get_settings().secret(name)


def configured_secret(name: str, rejection: ErrorSpec) -> str:
    """The secret, or `rejection` raised (and an error logged) when it is not configured."""
    secret = read_secret(name)
    if secret is None:
        _log.error("webhook secret is not configured; rejecting every delivery", extra={"secret_name": name})
        raise rejection.error()
    return secret


def same_secret(expected: str, received: str) -> bool:
    """Constant-time comparison that does not reveal the expected length either (any text: surrogates too)."""
    return hmac.compare_digest(_digest(expected), _digest(received))


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def within_window(sent: int, tolerance_s: int) -> bool:
    """Whether Unix seconds `sent` are within `tolerance_s` of now (integer arithmetic: any size of number)."""
    return abs(int(utcnow().timestamp()) - sent) <= tolerance_s


class Verification(Protocol):
    """How a provider proves a delivery is theirs. `credential` is the name of the secret it checks against."""

    @property
    def credential(self) -> str: ...

    @property
    def errors(self) -> tuple[ErrorSpec, ...]:
        """What `verify` answers a delivery it refuses (for the OpenAPI document)."""
        ...

    def verify(self, raw_body: bytes, headers: Mapping[str, str], query: Mapping[str, str]) -> None:
        """Raise one of `errors` (401) unless the delivery is authentic; `headers` have lower-case names, `query`
        is the query string (for providers that put a token there)."""
        ...


@runtime_checkable
class BodyVerification(Verification, Protocol):
    """A scheme whose proof also covers values in the body (Simplybook's company and timestamp): the receiver
    calls `verify_body` with the validated body, after `verify` passed and before anything is recorded."""

    def verify_body(self, body: Any) -> None:
        """Raise one of `errors` unless the body's values agree with the proof."""
        ...


@dataclass(frozen=True)
class HmacSignature:
    """An HMAC of the raw body in a header; of `{timestamp}{separator}{raw body}` when the provider signs a timestamp
    (`.` by default; Front's is `:`).

    With `timestamp_header`, a delivery signed more than `tolerance_s` seconds from now (Unix seconds in that
    header) is refused, so a captured delivery cannot be replayed later. Hex is compared case-insensitively.
    With `version` (Slack's and Zoom's `v0`), the signed text is `{version}:{timestamp}:{raw body}` and the header
    reads `{version}={digest}`.
    """

    header: str
    credential: str
    algorithm: Literal["sha1", "sha256", "sha512"] = "sha256"
    encoding: Literal["hex", "base64"] = "hex"
    timestamp_header: str | None = None
    tolerance_s: int = 300
    version: str | None = None
    separator: bytes = b"."
    # Front: its application webhooks doc gives milliseconds, its Security page no unit (seconds elsewhere in its
    # API): with this, a timestamp above 10^12 is read as milliseconds, otherwise as seconds
    milliseconds_allowed: bool = False
    missing: ErrorSpec = SIGNATURE_MISSING
    mismatch: ErrorSpec = SIGNATURE_MISMATCH

    @property
    def errors(self) -> tuple[ErrorSpec, ...]:
        return (self.missing, self.mismatch)

    def sign(self, secret: str, raw_body: bytes, timestamp: str | None = None) -> str:
        if self.version is not None:
            signed = f"{self.version}:{timestamp or ''}:".encode() + raw_body
        else:
            signed = raw_body if timestamp is None else timestamp.encode() + self.separator + raw_body
        digest = hmac.new(secret.encode(), signed, self.algorithm).digest()
        encoded = digest.hex() if self.encoding == "hex" else base64.b64encode(digest).decode()
        return encoded if self.version is None else f"{self.version}={encoded}"

    def verify(self, raw_body: bytes, headers: Mapping[str, str], query: Mapping[str, str] = NO_QUERY) -> None:
        received = headers.get(self.header.lower(), "").strip()
        timestamp = headers.get(self.timestamp_header.lower(), "").strip() if self.timestamp_header else None
        if not received or timestamp == "":
            raise self.missing.error()
        secret = configured_secret(self.credential, self.mismatch)
        if self.encoding == "hex":
            received = received.lower()
        if not same_secret(self.sign(secret, raw_body, timestamp), received):
            raise self.mismatch.error()
        if timestamp is not None and not _recent(timestamp, self.tolerance_s, self.milliseconds_allowed):
            _log.warning(
                "signed webhook delivery outside the tolerated window", extra={"tolerance_s": self.tolerance_s}
            )
            raise self.mismatch.error()


def _recent(timestamp: str, tolerance_s: int, milliseconds_allowed: bool) -> bool:
    if not (timestamp.isascii() and timestamp.isdigit()):
        return False
    try:
        sent = int(timestamp)
    except ValueError:  # more digits than Python converts
        return False
    if milliseconds_allowed and sent > MILLISECONDS_FROM:
        sent //= 1000
    return within_window(sent, tolerance_s)


@dataclass(frozen=True)
class SharedToken:
    """A secret token the provider sends as it is in a header, for providers that sign nothing.

    With `scheme` (e.g. `Basic`), the header is `<scheme> <token>` (the scheme case-insensitive) and the token
    is what is compared."""

    header: str
    credential: str
    missing: ErrorSpec = TOKEN_MISSING
    mismatch: ErrorSpec = TOKEN_MISMATCH
    scheme: str | None = None

    @property
    def errors(self) -> tuple[ErrorSpec, ...]:
        return (self.missing, self.mismatch)

    def verify(self, raw_body: bytes, headers: Mapping[str, str], query: Mapping[str, str] = NO_QUERY) -> None:
        received = headers.get(self.header.lower(), "").strip()
        if self.scheme is not None:
            given, _, token = received.partition(" ")
            received = token.strip() if given.lower() == self.scheme.lower() else ""
        if not received:
            raise self.missing.error()
        if not same_secret(configured_secret(self.credential, self.mismatch), received):
            raise self.mismatch.error()


@dataclass(frozen=True)
class QueryToken(SharedToken):
    """A `SharedToken` the provider sends in the query string (`?<header>=…`, Mailchimp's `?secret=`), for those
    that can neither sign nor set a header. The query string is never logged."""

    def verify(self, raw_body: bytes, headers: Mapping[str, str], query: Mapping[str, str] = NO_QUERY) -> None:
        super().verify(raw_body, {self.header.lower(): query.get(self.header, "")})
