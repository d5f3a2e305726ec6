"""Credentialing's stored records and the rules that need no I/O."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from pydantic import Field

from bloom.core.models import CamelModel
from bloom.credentialing.schemas import SourceOut, SourceStatus

# --- sources and chunks (rag)
CHUNK_WORDS = 250  # a chunk holds 200-400 words: 250, and a page's last stretch joins the chunk before if short
CHUNK_OVERLAP = 50  # words a chunk repeats from the one before, so a sentence cut at a boundary is whole in one
MIN_CHUNK_WORDS = 200
EMBEDDING_DIMENSION = 384  # every embedder's vectors (Vertex is asked for this many): the vector index's dimension
PAGES_PER_BATCH = 20  # ingestion embeds and writes this many pages at a time, and records its progress after each


class SourceRecord(CamelModel):
    id: str
    upload_id: str
    owner_id: str  # the practice admin whose upload it is (the upload is read with their rights)
    payer: str
    state: str
    title: str
    status: SourceStatus
    generation: int = 1  # bumped by each (re-)ingestion request; a stale delivery of an older one does nothing
    pages: int = 0
    pages_done: int = 0
    chunks: int = 0
    failure_reason: str | None = None
    created_by: str
    created_at: datetime
    updated_at: datetime

    def out(self) -> SourceOut:
        return SourceOut.model_validate(self.model_dump(include=set(SourceOut.model_fields)))


class ChunkRecord(CamelModel):
    """`credentialingChunks/{sourceId}-{index}`: a stretch of a source's text and its embedding, with the source's
    payer and state copied in for the vector query's pre-filters."""

    source_id: str
    payer: str
    state: str
    page: int
    index: int
    text: str
    embedding: list[float] = Field(repr=False)


class QueryVectorRecord(CamelModel):
    """`requirementQueries/{payer}~{state}`: the requirements query of a payer and state, embedded at ingestion so
    a request never loads the embedder."""

    payer: str
    state: str
    text: str
    model: str
    embedding: list[float] = Field(repr=False)


@dataclass(frozen=True)
class PageChunk:
    page: int
    text: str


_SPACE = re.compile(r"\s+")


def chunk_page(page: int, text: str) -> list[PageChunk]:
    """Split one page's text into chunks of `MIN_CHUNK_WORDS` to `CHUNK_WORDS` words (a shorter page is one chunk)
    that overlap by `CHUNK_OVERLAP` words. Chunks never straddle pages, so each cites exactly one page."""
    words = _SPACE.sub(" ", text).strip().split(" ")
    if words == [""]:
        return []
    step = CHUNK_WORDS - CHUNK_OVERLAP
    chunks: list[PageChunk] = []
    start = 0
    while True:
        end = start + CHUNK_WORDS
        if len(words) - end < MIN_CHUNK_WORDS - CHUNK_OVERLAP:  # the rest would make a chunk too short: take it
            chunks.append(PageChunk(page, " ".join(words[start:])))
            return chunks
        chunks.append(PageChunk(page, " ".join(words[start:end])))
        start += step


def chunk_id(source_id: str, index: int) -> str:
    return f"{source_id}-{index:05d}"


def query_vector_id(payer: str, state: str) -> str:
    return f"{payer}~{state}"


def requirements_query(payer: str, state: str) -> str:
    """The text a payer's requirements for a state are retrieved by (embedded once per payer and state)."""
    return (
        f"What must a therapist licensed in {state} provide to be credentialed with {payer}: licence, "
        "education, malpractice insurance, NPI, CAQH, DEA, work history and other required documents?"
    )


def requirement_id(source_id: str, chunk_index: int, text: str) -> str:
    """A requirement item's id, stable across requests and re-ingestions that keep the text where it was."""
    digest = hashlib.sha256(f"{source_id}\x1f{chunk_index}\x1f{text}".encode()).hexdigest()
    return digest[:32]
