"""Search over session notes and messages: `GET search`, permission-aware, over a blind index (docs/search.md).

Two Firestore round trips after authentication whatever the size of the index; results only from what the
caller may read today, snippets opened for them alone.
"""

from __future__ import annotations

from bloom.api import HttpContext, http_function
from bloom.platform.http import Empty
from bloom.platform.registry import Role
from bloom.search import errors
from bloom.search import service as search
from bloom.search.schemas import SearchQuery, SearchResult

TAGS = ("search",)
# A person searches a few times a minute while typing (the web app debounces type-ahead); three times that.
SEARCH_LIMIT = "60/minute per user"


@http_function(
    "GET",
    "/api/v1/practice/search",
    role=Role.PRACTICE_USER,
    query=SearchQuery,
    response=list[SearchResult],
    summary="Search the caller's notes and messages (matched words, then newest first)",
    errors=(errors.QUERY_WITHOUT_WORDS, errors.QUERY_TOO_MANY_WORDS),
    rate_limit=SEARCH_LIMIT,
    tags=TAGS,
)
def search_practice(ctx: HttpContext[Empty, SearchQuery]) -> list[SearchResult]:
    return search.search(ctx.caller, ctx.query)
