"""Typed errors raised by services; the toolkit maps them to HTTP statuses (or Pub/Sub acks) in one place."""

from __future__ import annotations


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


class Conflict(BloomError):
    status_code = 409


class TooManyRequests(BloomError):
    status_code = 429

    def __init__(self, message: str | list[str] = "Too Many Requests", *, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        if retry_after_s is not None:
            self.headers["Retry-After"] = str(retry_after_s)


class PermanentEventError(Exception):
    """An event that can never be processed: it is logged and acknowledged, not redelivered."""


class TransientEventError(Exception):
    """A failure worth retrying: the event is left unacknowledged so Pub/Sub redelivers it."""
