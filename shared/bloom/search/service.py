"""Search over session notes and messages: the index writes other areas make in their own transactions, and the
query (`search`), which costs two round trips whatever the size of the index.

Other areas call `index_in` / `remove_in` / `revoke_in` inside the unit of work of the note or message change,
so the index commits with it (blind writes: no read is added to their transactions). See docs/search.md.
"""

from __future__ import annotations

from bloom.core.logging import get_logger
from bloom.platform.crypto import blind_token
from bloom.platform.store.unit_of_work import UnitOfWork
from bloom.search import errors, snippets
from bloom.search.models import CANDIDATES, SearchEntry, entry_id, rank, result
from bloom.search.repository import SearchWork, entry_batches
from bloom.search.schemas import PRACTICE_ADMINS, EntryKind, IndexedRecord, SearchQuery, SearchResult, care_scope
from bloom.search.terms import QueryWithoutWords, TooManyQueryWords, index_terms, query_terms, snippet
from bloom.users.schemas import Caller

_log = get_logger(__name__)
SNIPPET_SOURCE_MAX = 2000  # characters of a reader's text kept (sealed) to cut snippets from
_KIND: dict[str, EntryKind | None] = {"notes": "note", "messages": "message", "all": None}


def index_in(uow: UnitOfWork, record: IndexedRecord) -> None:
    """Replace each viewer's entry for the record and grant each viewer their scope, with the unit's writes."""
    work = SearchWork.join(uow)
    tokens: dict[str, str] = {}
    granted: dict[str, list[str]] = {}
    for view in record.views:
        entry_tokens = [_token(tokens, term) for term in index_terms(view.text)]
        doc_id = entry_id(view.reader_id, record.kind, record.record_id)
        entry = SearchEntry(
            reader=view.reader_id,
            kind=record.kind,
            record_id=record.record_id,
            scope=view.scope,
            patient_id=record.patient_id,
            thread_id=record.thread_id,
            at=record.at,
            terms=entry_tokens,
            term_set=dict.fromkeys(entry_tokens, True),
            snippet=snippets.seal(doc_id, view.text[:SNIPPET_SOURCE_MAX]),
        )
        work.entries.replace(entry)
        if view.scope is not None:
            granted.setdefault(view.scope, []).append(view.reader_id)
    for scope, readers in granted.items():
        work.scopes.grant(scope, readers)


def _token(known: dict[str, str], term: str) -> str:
    """The term's blind token, computed once per index write (the views of a record share most terms)."""
    found = known.get(term)
    if found is None:
        found = known[term] = blind_token(term)
    return found


def remove_in(uow: UnitOfWork, kind: EntryKind, record_id: str, reader_ids: list[str]) -> None:
    """Remove these readers' entries for a record (deleted, unshared), with the unit's writes."""
    SearchWork.join(uow).entries.delete_each([entry_id(reader, kind, record_id) for reader in reader_ids])


def grant_in(uow: UnitOfWork, scope: str, reader_ids: list[str]) -> None:
    """These readers hold the scope (merged, no read), with the unit's writes."""
    SearchWork.join(uow).scopes.grant(scope, reader_ids)


def revoke_in(uow: UnitOfWork, scope: str, reader_ids: list[str]) -> None:
    """These readers lose the scope's results at once (their entries stay, unseen, until granted again)."""
    SearchWork.join(uow).scopes.revoke(scope, reader_ids)


def search(caller: Caller, query: SearchQuery) -> list[SearchResult]:
    """The caller's best results (matched words, then newest), snippets opened for them alone. Two round trips:
    the candidates (one query), then the grants their scopes need (one batched read)."""
    try:
        terms = query_terms(query.q)
    except QueryWithoutWords:
        raise errors.QUERY_WITHOUT_WORDS.error() from None
    except TooManyQueryWords:
        raise errors.QUERY_TOO_MANY_WORDS.error() from None
    stems = list(dict.fromkeys(term.stem for term in terms))
    tokens = [blind_token(stem) for stem in stems]
    readers = [caller.user.id, PRACTICE_ADMINS] if caller.is_practice_admin else [caller.user.id]
    with SearchWork() as uow:
        candidates = uow.entries.candidates(readers, tokens, _KIND[query.scope], CANDIDATES)
        scopes = sorted({entry.scope for entry in candidates if entry.scope is not None})
        granted = uow.scopes.readers_of(scopes) if scopes else {}
    found: list[SearchResult] = []
    for entry in rank(candidates, tokens, granted, query.limit):
        try:
            text = snippets.open_sealed(entry.id, entry.snippet)
        except snippets.UnreadableSnippet:
            _log.warning("search entry unreadable", extra={"kind": entry.kind, "recordId": entry.record_id})
            continue
        found.append(result(entry, snippet(text, terms)))
    return found


# ---------------------------------------------------------------- erasure


def forget_person(user_id: str) -> int:
    """An erased person leaves the index (erasure; idempotent): their own entries, every entry of their notes
    (their records are kept for the retention period, unreadable by the API, search included), and their notes'
    grant to their therapists. Returns the number of entries deleted."""
    with SearchWork() as uow:
        uow.scopes.delete(care_scope(user_id))
    entries = SearchWork().entries
    return entries.delete_of_reader(user_id) + entries.delete_of_patient(user_id)


def forget_records(kind: EntryKind, record_ids: list[str], reader_ids: list[str]) -> None:
    """Every listed reader's entries of these records go (erasure of their texts), in committed batches."""
    doc_ids = [entry_id(reader, kind, record_id) for record_id in record_ids for reader in reader_ids]
    for batch in entry_batches(doc_ids):
        with SearchWork() as uow:
            uow.entries.delete_each(batch)


def close_scope(scope: str) -> None:
    """Nobody holds the scope any more (erasure of a care thread's party)."""
    with SearchWork() as uow:
        uow.scopes.delete(scope)
