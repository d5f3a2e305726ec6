"""The credentialing area's error catalogue."""

from __future__ import annotations

from bloom.core.errors import ErrorCatalogue

ERRORS = ErrorCatalogue("credentialing")
# --- sources and chunks (rag)
SOURCE_NOT_FOUND = ERRORS.declare(404, "SOURCE NOT FOUND")
SOURCE_UPLOAD_NOT_USABLE = ERRORS.declare(409, "SOURCE UPLOAD NOT USABLE")
