"""The waitlist area's errors."""

from __future__ import annotations

from bloom.core.errors import ErrorCatalogue

ERRORS = ErrorCatalogue("waitlist")
WAITLIST_ENTRY_NOT_FOUND = ERRORS.declare(404, "WAITLIST ENTRY NOT FOUND")
WAITLIST_RANGE_PASSED = ERRORS.declare(400, "WAITLIST_RANGE_PASSED")
TOO_MANY_WAITLIST_ENTRIES = ERRORS.declare(409, "TOO_MANY_WAITLIST_ENTRIES")
