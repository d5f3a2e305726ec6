"""What the search area shows callers (results) and other areas (what they hand it to index, and scope names)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from bloom.core.models import CamelModel, RequestModel
from bloom.search.terms import QUERY_MAX_CHARS, QUERY_MIN_CHARS

EntryKind = Literal["note", "message"]
SearchScopeName = Literal["notes", "messages", "all"]
RESULTS_MAX = 50
# The reader of support threads' entries: every practice admin (checked on the caller at query time).
PRACTICE_ADMINS = "role:practice-admin"


def thread_scope(thread_id: str) -> str:
    """The grant of a thread's messages: its readers are the thread's participants (and, for a support
    thread, `PRACTICE_ADMINS`)."""
    return f"thread:{thread_id}"


def care_scope(patient_id: str) -> str:
    """The grant of a patient's notes to their therapists: readers are the therapists with an active assignment."""
    return f"care:{patient_id}"


class ReaderView(CamelModel):
    """One reader's view of a record: the text as they see it (a blurred message's delivered text for its
    recipients, the sender's own for the sender) and the grant that must still hold when they search (`scope`;
    None: the entry is the grant, removed when the reader may no longer see the record)."""

    reader_id: str
    text: str
    scope: str | None


class IndexedRecord(CamelModel):
    """A note or message handed to `service.index_in`: one entry per view replaces that reader's entry."""

    kind: EntryKind
    record_id: str
    at: datetime
    patient_id: str | None = None
    thread_id: str | None = None
    views: list[ReaderView]


class SearchQuery(RequestModel):
    q: Annotated[str, StringConstraints(min_length=QUERY_MIN_CHARS, max_length=QUERY_MAX_CHARS)]
    scope: SearchScopeName = "all"
    limit: Annotated[int, Field(ge=1, le=RESULTS_MAX)] = 20


class SearchResult(CamelModel):
    kind: EntryKind
    id: str
    patient_id: str | None = None
    thread_id: str | None = None
    at: datetime
    snippet: str
