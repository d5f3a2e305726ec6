"""The therapy area's errors (the API contract's strings; the frontend matches them exactly)."""

from __future__ import annotations

from bloom.core.errors import ErrorCatalogue

ERRORS = ErrorCatalogue("therapy")
SESSION_NOT_FOUND = ERRORS.declare(404, "THERAPY_SESSION_NOT_FOUND")
SESSION_ALREADY_CANCELLED = ERRORS.declare(409, "THERAPY_SESSION_ALREADY_CANCELLED")
SESSION_IN_THE_PAST = ERRORS.declare(400, "THERAPY_SESSION_IN_THE_PAST")
SIMPLYBOOK_UNAVAILABLE = ERRORS.declare(502, "SIMPLYBOOK_UNAVAILABLE")
WEBHOOK_TOKEN_INVALID = ERRORS.declare(401, "Unauthorized: invalid webhook token")
WEBHOOK_COMPANY_INVALID = ERRORS.declare(401, "Unauthorized: unknown company")
WEBHOOK_TIMESTAMP_STALE = ERRORS.declare(401, "Unauthorized: webhook timestamp outside the accepted window")
ZAPIER_TOKEN_MISSING = ERRORS.declare(401, "Unauthorized: missing Zapier token")
ZAPIER_TOKEN_INVALID = ERRORS.declare(401, "Unauthorized: invalid Zapier token")
