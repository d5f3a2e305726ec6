"""The search area's errors."""

from __future__ import annotations

from bloom.core.errors import ErrorCatalogue

ERRORS = ErrorCatalogue("search")
QUERY_WITHOUT_WORDS = ERRORS.declare(400, "SEARCH_QUERY_HAS_NO_WORDS")
QUERY_TOO_MANY_WORDS = ERRORS.declare(400, "SEARCH_QUERY_HAS_MORE_THAN_8_WORDS")
