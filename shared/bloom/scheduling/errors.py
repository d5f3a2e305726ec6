"""The scheduling area's errors."""

from __future__ import annotations

from bloom.core.errors import ErrorCatalogue

ERRORS = ErrorCatalogue("scheduling")
AVAILABILITY_NOT_FOUND = ERRORS.declare(404, "AVAILABILITY NOT FOUND")
HOLD_NOT_FOUND = ERRORS.declare(404, "HOLD NOT FOUND")
APPOINTMENT_NOT_FOUND = ERRORS.declare(404, "APPOINTMENT NOT FOUND")
NOT_A_SLOT = ERRORS.declare(400, "NOT_A_SLOT")
RANGE_TOO_LONG = ERRORS.declare(400, "to must be after from and at most 31 days later")
SLOT_TAKEN = ERRORS.declare(409, "SLOT_TAKEN")
HOLD_EXPIRED = ERRORS.declare(410, "HOLD_EXPIRED")
ALREADY_CANCELLED = ERRORS.declare(409, "ALREADY_CANCELLED")
ALREADY_STARTED = ERRORS.declare(409, "ALREADY_STARTED")
