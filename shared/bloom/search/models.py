"""The search index's stored records and its ranking (no I/O).

`searchEntries/{reader}_{kind}_{recordId}`: one entry per (record, reader) holding the blind tokens of the
record's terms as that reader sees it (`terms`, for the query's `array-contains-any`, and the same tokens as the
keys of `termSet`, so a query reads back only the few it asked for), when it happened, the grant it depends on
(`scope`) and the reader's text, sealed (`snippet`). `searchScopes/{scope}`: who holds a grant today.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from bloom.core.models import CamelModel
from bloom.search.schemas import PRACTICE_ADMINS, EntryKind, SearchResult

CANDIDATES = 200  # newest entries matching any query word, ranked in memory (see docs/search.md on recall)


def entry_id(reader_id: str, kind: EntryKind, record_id: str) -> str:
    return f"{reader_id}_{kind}_{record_id}"


class SearchEntry(CamelModel):
    reader: str
    kind: EntryKind
    record_id: str
    scope: str | None = None
    patient_id: str | None = None
    thread_id: str | None = None
    at: datetime
    terms: list[str] = Field(default_factory=list)  # blind tokens
    term_set: dict[str, bool] = Field(default_factory=dict)  # the same tokens, as keys
    snippet: str  # the reader's text, sealed (`snippets`)

    @property
    def id(self) -> str:
        return entry_id(self.reader, self.kind, self.record_id)


class ScopeRecord(CamelModel):
    """`searchScopes/{scope}`: the readers holding the grant today."""

    readers: list[str] = Field(default_factory=list)


def rank(
    candidates: list[SearchEntry], term_tokens: list[str], granted: dict[str, set[str]], limit: int
) -> list[SearchEntry]:
    """The best `limit` entries the reader may still see: only entries whose scope (if any) still lists their
    reader, one per record (the view matching more words; on a tie the caller's own over the practice admins'),
    by the number of distinct query words matched, then newest first."""
    best: dict[tuple[str, str], tuple[int, SearchEntry]] = {}
    for entry in candidates:
        if entry.scope is not None and entry.reader not in granted.get(entry.scope, set()):
            continue
        matched = sum(1 for token in term_tokens if entry.term_set.get(token))
        key = (entry.kind, entry.record_id)
        held = best.get(key)
        if held is None or matched > held[0] or (matched == held[0] and held[1].reader == PRACTICE_ADMINS):
            best[key] = (matched, entry)
    ordered = sorted(best.values(), key=lambda pair: (pair[0], pair[1].at), reverse=True)
    return [entry for _, entry in ordered[:limit]]


def result(entry: SearchEntry, snippet: str) -> SearchResult:
    return SearchResult(
        kind=entry.kind,
        id=entry.record_id,
        patient_id=entry.patient_id,
        thread_id=entry.thread_id,
        at=entry.at,
        snippet=snippet,
    )
