"""The reporting area's error catalogue."""

from __future__ import annotations

from bloom.core.errors import ErrorCatalogue

ERRORS = ErrorCatalogue("reporting")
NOT_A_PERIOD_START = ERRORS.declare(400, "start must be the first day of a period of that kind")
PERIOD_NOT_OVER = ERRORS.declare(400, "the period has not ended yet")
