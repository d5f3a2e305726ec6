"""Typed errors raised by services; the toolkit maps them to HTTP statuses (or Pub/Sub acks) in one place.

Each area declares its errors once, in its `errors.py`, in an `ErrorCatalogue`: a status and a message. A
service raises `PARTNER_NOT_FOUND.error()`; the OpenAPI document lists, per route, the statuses and messages
of the catalogues the route declares. The same message is never declared twice: an area that raises another
area's error (feedback's `RESOURCE NOT FOUND`) imports it from that area's catalogue.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


class BloomError(Exception):
    """An error whose message is safe to show to the caller."""

    status_code = 500

    def __init__(self, message: str | list[str]) -> None:
        super().__init__(message if isinstance(message, str) else "; ".join(message))
        self.message = message
        self.headers: dict[str, str] = {}  # response headers that go with the error


class BadRequest(BloomError):
    status_code = 400


class Unauthorized(BloomError):
    status_code = 401


class Forbidden(BloomError):
    status_code = 403

    def __init__(self, message: str | list[str] = "Forbidden") -> None:
        super().__init__(message)


class NotFound(BloomError):
    status_code = 404


class MethodNotAllowed(BloomError):
    status_code = 405

    def __init__(self, message: str | list[str], *, allow: tuple[str, ...]) -> None:
        super().__init__(message)
        self.headers["Allow"] = ", ".join(allow)  # the methods the path does serve


class Conflict(BloomError):
    status_code = 409


class Gone(BloomError):
    """What the caller names existed but is over for good (an expired hold)."""

    status_code = 410


class TooManyRequests(BloomError):
    status_code = 429

    def __init__(self, message: str | list[str] = "Too Many Requests", *, retry_after_s: int) -> None:
        super().__init__(message)
        self.headers["Retry-After"] = str(retry_after_s)  # a 429 always says when to come back


class PermanentEventError(Exception):
    """An event that can never be processed: it is logged and acknowledged, not redelivered."""


class TransientEventError(Exception):
    """A failure worth retrying: the event is left unacknowledged so Pub/Sub redelivers it."""


_ERROR_TYPES: dict[int, type[BloomError]] = {
    cls.status_code: cls for cls in (BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone)
}  # no 429: only rate limits refuse with it, and they know the Retry-After a catalogue's error could not


class PayloadTooLarge(BloomError):
    status_code = 413


class UnsupportedMediaType(BloomError):
    status_code = 415


class ServiceUnavailable(BloomError):
    status_code = 503


class BadGateway(BloomError):
    """A third party we depend on could not be reached or answered something unusable."""

    status_code = 502


_ERROR_TYPES.update({413: PayloadTooLarge, 415: UnsupportedMediaType, 503: ServiceUnavailable, 502: BadGateway})
_DECLARED: dict[str, ErrorSpec] = {}


@dataclass(frozen=True)
class ErrorSpec:
    """One error of the API: its status and its exact message (the contract's strings)."""

    status: int
    message: str
    area: str

    def error(self) -> BloomError:
        return _ERROR_TYPES[self.status](self.message)


class ErrorCatalogue:
    """An area's errors, each declared once."""

    def __init__(self, area: str) -> None:
        self.area = area
        self._errors: list[ErrorSpec] = []

    def declare(self, status: int, message: str) -> ErrorSpec:
        if status not in _ERROR_TYPES:
            raise ValueError(f"no error type for status {status}")
        existing = _DECLARED.get(message)
        if existing is not None:
            raise ValueError(f"{message!r} is already declared by the {existing.area} catalogue; import it from there")
        spec = _DECLARED[message] = ErrorSpec(status, message, self.area)
        self._errors.append(spec)
        return spec

    def __iter__(self) -> Iterator[ErrorSpec]:
        return iter(self._errors)
