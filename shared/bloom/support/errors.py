"""The support area's errors."""

from __future__ import annotations

from bloom.core.errors import ErrorCatalogue

ERRORS = ErrorCatalogue("support")
TICKET_NOT_FOUND = ERRORS.declare(404, "TICKET NOT FOUND")
TICKET_TEXT_BLOCKED = ERRORS.declare(400, "TICKET_TEXT_BLOCKED")
LOOKUP_USER_NOT_FOUND = ERRORS.declare(404, "LOOKUP USER NOT FOUND")
ASSIGNEE_NOT_A_PRACTICE_ADMIN = ERRORS.declare(400, "ASSIGNEE_NOT_A_PRACTICE_ADMIN")
CANNOT_DISABLE_SELF = ERRORS.declare(409, "CANNOT_DISABLE_SELF")
