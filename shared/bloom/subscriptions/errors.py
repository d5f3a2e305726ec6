"""The subscriptions area's errors (the API contract's strings)."""

from __future__ import annotations

from bloom.core.errors import ErrorCatalogue

ERRORS = ErrorCatalogue("subscriptions")
ALREADY_EXISTS = ERRORS.declare(409, "ALREADY_EXISTS")
SUBSCRIPTION_NOT_FOUND = ERRORS.declare(400, "Could not find subscription")
ALREADY_CANCELLED = ERRORS.declare(409, "Subscription has already been cancelled")
RESPOND_IO_UNAVAILABLE = ERRORS.declare(502, "RESPOND_IO_UNAVAILABLE")
