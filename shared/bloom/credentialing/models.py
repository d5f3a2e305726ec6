"""Credentialing's stored records and the rules that need no I/O."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from pydantic import Field

from bloom.core.models import CamelModel
from bloom.credentialing.schemas import (
    Application,
    ApplicationFields,
    ApplicationStatus,
    ChecklistItem,
    Document,
    DocumentKind,
    SourceOut,
    SourceStatus,
)

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


# --- documents and applications (applications)
OPEN: frozenset[ApplicationStatus] = frozenset({"draft", "submitted", "in_review"})
# What a practice admin may change an application's status to, from each status (`PATCH`). Submitting
# (draft → submitted) is the therapist's own step, and approved → expired also happens when the daily job finds the
# approval's `expiresOn` passed.
ADMIN_TRANSITIONS: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    "draft": frozenset(),
    "submitted": frozenset({"in_review", "approved", "denied"}),
    "in_review": frozenset({"approved", "denied"}),
    "approved": frozenset({"expired"}),
    "denied": frozenset(),
    "expired": frozenset(),
}
EXPIRY_NOTICE_DAYS = (7, 30, 60)  # a document or an approval expiring within this many days: one notice each
FOLLOW_UP_CATCH_UP = 7  # days: a follow-up the job missed (it did not run) is still sent this long after its day


class DocumentRecord(Document):
    """`credentialingDocuments/{id}`."""

    owner_id: str  # the therapist's Bloom user id (the upload's owner)
    owner_uid: str  # their Firebase uid: the key of their inbox, for expiry notices
    updated_at: datetime

    def out(self) -> Document:
        return Document.model_validate(self.model_dump(include=set(Document.model_fields)))


class Requirement(CamelModel):
    """A requirement of the payer and state as it was when the application was made (`requirements_for`)."""

    requirement_id: str
    text: str
    kind: DocumentKind


class ApplicationRecord(ApplicationFields):
    """`credentialingApplications/{id}`: the requirements are kept from creation; the checklist is matched against
    the therapist's documents while a draft, and kept as submitted from then on."""

    owner_id: str
    owner_uid: str
    requirements: list[Requirement]
    submitted_checklist: list[ChecklistItem] | None = None

    def out(self, documents: Iterable[DocumentRecord], today: date) -> Application:
        checklist = self.submitted_checklist
        if checklist is None:
            checklist = match_checklist(self.requirements, documents, today)
        return Application.model_validate(
            self.model_dump(include=set(ApplicationFields.model_fields)) | {"checklist": checklist}
        )


def is_expired(document: Document, today: date) -> bool:
    """A document is good through its `expiresOn` day; one without an expiry never expires."""
    return document.expires_on is not None and document.expires_on < today


def _best(documents: Sequence[DocumentRecord]) -> DocumentRecord | None:
    """The document that stays valid longest (no expiry first), then the newest: the one a reviewer wants."""
    return max(
        documents,
        key=lambda d: (d.expires_on is None, d.expires_on or date.min, d.created_at, d.id),
        default=None,
    )


def match_checklist(
    requirements: Iterable[Requirement], documents: Iterable[DocumentRecord], today: date
) -> list[ChecklistItem]:
    """Each requirement matched to an unexpired document of its kind (the same kind, `other` included), if any."""
    usable: dict[str, list[DocumentRecord]] = {}
    for document in documents:
        if not is_expired(document, today):
            usable.setdefault(document.kind, []).append(document)
    items = []
    for requirement in requirements:
        match = _best(usable.get(requirement.kind, []))
        items.append(
            ChecklistItem(
                requirement_id=requirement.requirement_id,
                text=requirement.text,
                kind=requirement.kind,
                document_id=match.id if match is not None else None,
                satisfied=match is not None,
            )
        )
    return items


def missing(checklist: Iterable[ChecklistItem]) -> list[str]:
    """One line per unsatisfied requirement, for the 409 that refuses a submission."""
    return [f"missing {item.kind}: {item.text}" for item in checklist if not item.satisfied]


def admin_may_change(current: ApplicationStatus, wanted: ApplicationStatus) -> bool:
    """Whether a practice admin may move an application from `current` to `wanted` (the same status is no change)."""
    return wanted == current or wanted in ADMIN_TRANSITIONS[current]


def expiry_notice_days(expires_on: date | None, today: date) -> int | None:
    """The notice an expiry `expires_on` is due as of `today`: the smallest of 60 / 30 / 7 days that the days left
    are within (a document added with 20 days left gets the 30-day notice only), or None (far off, or past)."""
    if expires_on is None:
        return None
    left = (expires_on - today).days
    if left < 0:
        return None
    return next((days for days in EXPIRY_NOTICE_DAYS if left <= days), None)


def follow_up_due(application: ApplicationRecord, today: date) -> bool:
    """An open application whose follow-up day has come (and is not more than the catch-up window behind)."""
    follow_up = application.follow_up_on
    return application.status in OPEN and follow_up is not None and 0 <= (today - follow_up).days <= FOLLOW_UP_CATCH_UP
