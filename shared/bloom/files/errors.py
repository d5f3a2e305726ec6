"""The files area's error catalogue."""

from __future__ import annotations

from bloom.core.errors import ErrorCatalogue

ERRORS = ErrorCatalogue("files")
UPLOAD_NOT_FOUND = ERRORS.declare(404, "UPLOAD NOT FOUND")
UPLOAD_NOT_AVAILABLE = ERRORS.declare(409, "UPLOAD NOT AVAILABLE")
ATTACHMENT_NOT_AVAILABLE = ERRORS.declare(409, "ATTACHMENT_NOT_AVAILABLE")
