"""The records area's errors. Someone outside a patient's care team gets RECORD_NOT_FOUND for every path, exactly
as for a record that does not exist."""

from __future__ import annotations

from bloom.core.errors import ErrorCatalogue

ERRORS = ErrorCatalogue("records")
RECORD_NOT_FOUND = ERRORS.declare(404, "RECORD_NOT_FOUND")
RECORDS_READ_ONLY = ERRORS.declare(403, "RECORDS_READ_ONLY")
NOTE_SIGNED = ERRORS.declare(409, "NOTE_SIGNED")
NOTE_NOT_SIGNED = ERRORS.declare(409, "NOTE_NOT_SIGNED")
NOTE_FORMAT_MISMATCH = ERRORS.declare(400, "NOTE_FORMAT_MISMATCH")
EXPORT_NOT_FOUND = ERRORS.declare(404, "EXPORT_NOT_FOUND")
