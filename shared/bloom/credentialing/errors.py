"""The credentialing area's error catalogue."""

from __future__ import annotations

from bloom.core.errors import ErrorCatalogue

ERRORS = ErrorCatalogue("credentialing")
# --- sources and chunks (rag)
SOURCE_NOT_FOUND = ERRORS.declare(404, "SOURCE NOT FOUND")
SOURCE_UPLOAD_NOT_USABLE = ERRORS.declare(409, "SOURCE UPLOAD NOT USABLE")
# --- documents and applications (applications)
DOCUMENT_NOT_FOUND = ERRORS.declare(404, "CREDENTIALING DOCUMENT NOT FOUND")
APPLICATION_NOT_FOUND = ERRORS.declare(404, "CREDENTIALING APPLICATION NOT FOUND")
APPLICATION_ALREADY_OPEN = ERRORS.declare(409, "CREDENTIALING APPLICATION ALREADY OPEN")
NO_REQUIREMENTS_KNOWN = ERRORS.declare(409, "NO CREDENTIALING REQUIREMENTS KNOWN FOR THIS PAYER AND STATE")
# Followed by one line per requirement the checklist does not satisfy ("missing <kind>: <requirement text>").
APPLICATION_INCOMPLETE = ERRORS.declare(409, "CREDENTIALING APPLICATION INCOMPLETE")
APPLICATION_NOT_DRAFT = ERRORS.declare(409, "CREDENTIALING APPLICATION ALREADY SUBMITTED")
ILLEGAL_STATUS_CHANGE = ERRORS.declare(409, "CREDENTIALING STATUS CHANGE NOT ALLOWED")
