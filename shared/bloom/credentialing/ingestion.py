"""Ingestion (the `credentialing.source-added` subscriber, never a request): a source's PDF → text per page
(pypdf) → overlapping chunks → embeddings → chunk documents with a vector field, `PAGES_PER_BATCH` pages at a
time with the progress in the source's status.

Chunk ids are `{sourceId}-{index}`, so a re-ingestion overwrites in place and then deletes what is left beyond
its new count: readers never see a source without chunks. A PDF with no text layer (a scan) fails with the
reason. Each batch first checks the source is still there at the same generation, so a deletion or a newer
re-ingestion stops an older run.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.credentialing.embeddings import Embedder, embedder
from bloom.credentialing.models import (
    PAGES_PER_BATCH,
    ChunkRecord,
    PageChunk,
    QueryVectorRecord,
    SourceRecord,
    chunk_id,
    chunk_page,
    query_vector_id,
    requirements_query,
)
from bloom.credentialing.repository import SourcesWork
from bloom.credentialing.schemas import SourceAdded
from bloom.files import service as files

if TYPE_CHECKING:
    from pypdf import PdfReader

_log = get_logger(__name__)
Outcome = Literal["ingested", "failed", "stale"]
NOT_A_PDF = "The file is not a PDF that can be read (damaged or encrypted)."
NO_TEXT_LAYER = "The PDF has no text layer (a scan or images only): add a PDF whose text can be selected."
UPLOAD_GONE = "The uploaded file is no longer available."
WRITES_PER_COMMIT = 400  # a Firestore commit takes at most 500 writes; a page of dense text can make dozens of chunks


class _Stale(Exception):
    """The source was deleted, or re-queued for a newer ingestion, while this one ran."""


def ingest(event: SourceAdded, *, using: Embedder | None = None) -> Outcome:
    """Ingest the source of `event` (see the module docstring); returns the outcome for logs and tests."""
    model = using or embedder()
    try:
        outcome = _ingest(event, model)
    except _Stale:
        outcome = "stale"
    _log.info("source ingestion", extra={"sourceId": event.source_id, "outcome": outcome})
    return outcome


def _ingest(event: SourceAdded, model: Embedder) -> Outcome:
    source = _claim(event)
    data = files.read_upload(source.upload_id)
    if data is None:
        return _fail(event, UPLOAD_GONE)
    pages = read_pdf(data)
    if pages is None:
        return _fail(event, NOT_A_PDF)
    total = len(pages)
    written = 0
    for first in range(0, total, PAGES_PER_BATCH):
        last = min(first + PAGES_PER_BATCH, total)
        batch = [chunk for number in range(first, last) for chunk in pages.chunks(number)]
        vectors = model.embed([chunk.text for chunk in batch]) if batch else []
        _check(event)
        records = [
            ChunkRecord(
                source_id=source.id,
                payer=source.payer,
                state=source.state,
                page=chunk.page,
                index=written + offset,
                text=chunk.text,
                embedding=vector,
            )
            for offset, (chunk, vector) in enumerate(zip(batch, vectors, strict=True))
        ]
        for start in range(0, len(records), WRITES_PER_COMMIT):
            with SourcesWork() as uow:
                for record in records[start : start + WRITES_PER_COMMIT]:
                    uow.chunks.save(chunk_id(source.id, record.index), record)
        with SourcesWork() as uow:
            uow.sources.change(source.id, pages=total, pages_done=last, updated_at=utcnow())
        written += len(batch)
    with SourcesWork() as uow:
        uow.chunks.delete_from_index(source.id, written)
    if written == 0:
        return _fail(event, NO_TEXT_LAYER)
    _remember_query(source, model)
    _settle(event, status="ingested", chunks=written, pages=total, pages_done=total)
    return "ingested"


class PdfPages:
    """The PDF's pages, read lazily (a large PDF's text is extracted one batch at a time)."""

    def __init__(self, reader: PdfReader, count: int) -> None:
        self._reader = reader
        self._count = count

    def __len__(self) -> int:
        return self._count

    def chunks(self, number: int) -> Iterator[PageChunk]:
        from pypdf.errors import PyPdfError

        try:
            text = self._reader.pages[number].extract_text() or ""
        except (PyPdfError, ValueError, KeyError, TypeError):
            text = ""  # an unreadable page adds nothing; a PDF where every page is so fails as textless
        yield from chunk_page(number + 1, text)


def read_pdf(data: bytes) -> PdfPages | None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            return None
        return PdfPages(reader, len(reader.pages))
    except (PyPdfError, ValueError, KeyError, TypeError, OSError):
        return None


def _claim(event: SourceAdded) -> SourceRecord:
    def work(uow: SourcesWork) -> SourceRecord:
        record = uow.sources.get(event.source_id)
        if record is None or record.generation != event.generation:
            raise _Stale
        uow.sources.change(event.source_id, status="ingesting", pages_done=0, failure_reason=None, updated_at=utcnow())
        return record

    return SourcesWork.run_in_transaction(work)


def _check(event: SourceAdded) -> None:
    with SourcesWork() as uow:
        record = uow.sources.get(event.source_id)
    if record is None:  # deleted while we ran: remove what this run wrote after the deletion removed the rest
        with SourcesWork() as uow:
            uow.chunks.delete_from_index(event.source_id, 0)
    if record is None or record.generation != event.generation:
        raise _Stale


def _settle(event: SourceAdded, **changes: object) -> None:
    def work(uow: SourcesWork) -> None:
        record = uow.sources.get(event.source_id)
        if record is None or record.generation != event.generation:
            raise _Stale
        uow.sources.change(event.source_id, updated_at=utcnow(), **changes)

    SourcesWork.run_in_transaction(work)


def _fail(event: SourceAdded, reason: str) -> Outcome:
    _settle(event, status="failed", failure_reason=reason, chunks=0)
    return "failed"


def _remember_query(source: SourceRecord, model: Embedder) -> None:
    """Embed the requirements query of the source's payer and state once (and again if the model changed), so
    the requirements request reads a vector instead of loading a model."""
    doc_id = query_vector_id(source.payer, source.state)
    text = requirements_query(source.payer, source.state)
    with SourcesWork() as uow:
        known = uow.query_vectors.get(doc_id)
    if known is not None and known.text == text and known.model == model.name:
        return
    [vector] = model.embed([text], task="query")
    with SourcesWork() as uow:
        uow.query_vectors.save(
            doc_id,
            QueryVectorRecord(payer=source.payer, state=source.state, text=text, model=model.name, embedding=vector),
        )
