"""The calendar area's errors."""

from __future__ import annotations

from bloom.core.errors import ErrorCatalogue

ERRORS = ErrorCatalogue("calendar")
FEED_NOT_FOUND = ERRORS.declare(404, "CALENDAR FEED NOT FOUND")
