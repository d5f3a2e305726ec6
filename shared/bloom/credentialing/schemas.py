"""What the credentialing area shows callers and other areas."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, PlainSerializer, StringConstraints, model_validator

from bloom.core.models import CamelModel, RequestModel
from bloom.practice.schemas import Region

# --- sources and chunks (rag)
SourceStatus = Literal["pending", "ingesting", "ingested", "failed"]
DocumentKind = Literal["license", "diploma", "malpractice_insurance", "npi", "caqh", "dea", "cv", "other"]
Payer = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]


class CreateSource(RequestModel):
    upload_id: str = Field(min_length=1, max_length=64)
    payer: Payer = Field(description="The payer's slug, e.g. `aetna` (lower case letters, digits, dashes)")
    state: Region
    title: str = Field(min_length=1, max_length=200)


class SourceOut(CamelModel):
    id: str
    upload_id: str
    payer: str
    state: str
    title: str
    status: SourceStatus
    pages: int = 0
    pages_done: int = Field(0, description="Pages ingested so far (progress while `ingesting`)")
    chunks: int = 0
    failure_reason: str | None = None
    created_at: datetime
    updated_at: datetime


class SourceList(CamelModel):
    items: list[SourceOut]


class SourceAdded(CamelModel):
    """The event that asks the ingestion subscriber to (re-)ingest a source."""

    source_id: str
    generation: int


class RequirementsQuery(RequestModel):
    payer: Payer
    state: Region
    therapist_id: str | None = Field(None, max_length=64, description="Admins: whose requirements (default: yours)")


class Citation(CamelModel):
    source_id: str
    page: int


class RequirementItem(CamelModel):
    id: str = Field(description="Stable: a hash of the source, the chunk and the item's text")
    text: str
    kind: DocumentKind
    citations: list[Citation]


class RequirementList(CamelModel):
    items: list[RequirementItem]


# --- documents and applications (applications)
# A calendar day, stored and shown as its ISO text (`2027-03-31`): Firestore has no date type, and ISO days
# compare as text the way they compare as days, so range queries on them work.
Day = Annotated[date, PlainSerializer(date.isoformat, return_type=str)]
ApplicationStatus = Literal["draft", "submitted", "in_review", "approved", "denied", "expired"]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Id = Annotated[str, Field(min_length=1, max_length=128)]


class CreateDocument(RequestModel):
    """`POST credentialing/documents`: one of the caller's own checked uploads, described."""

    upload_id: Id
    kind: DocumentKind
    number: ShortText | None = None
    issuer: ShortText | None = None
    state: Region | None = None
    expires_on: Day | None = None


class Document(CamelModel):
    id: str
    upload_id: str
    file_name: str
    kind: DocumentKind
    number: str | None
    issuer: str | None
    state: str | None
    expires_on: Day | None
    created_at: datetime


class DocumentList(CamelModel):
    items: list[Document]


class CreateApplication(RequestModel):
    payer: Payer = Field(description="The payer's slug, e.g. `aetna` (lower case letters, digits, dashes)")
    state: Region


class ChecklistItem(CamelModel):
    requirement_id: str
    text: str
    kind: DocumentKind
    document_id: str | None = Field(description="The caller's unexpired document of the requirement's kind, if any")
    satisfied: bool


class HistoryEntry(CamelModel):
    """One change of an application: who (a user id), when, the status before and after, and a note."""

    at: datetime
    by: str
    from_status: ApplicationStatus | None
    to_status: ApplicationStatus
    changed: list[str] = Field(description="The dates changed (`followUpOn`, `decisionOn`, `expiresOn`)")
    note: str | None = None


class ApplicationFields(CamelModel):
    """What an application shows and stores alike (`Application` adds the checklist)."""

    id: str
    therapist_id: str
    payer: str
    state: str
    status: ApplicationStatus
    follow_up_on: Day | None = None
    decision_on: Day | None = None
    expires_on: Day | None = None
    history: list[HistoryEntry]
    created_at: datetime
    updated_at: datetime


class Application(ApplicationFields):
    checklist: list[ChecklistItem] = Field(
        description="While a draft, matched to the therapist's documents as of now; from submission, as submitted"
    )


class ApplicationList(CamelModel):
    items: list[Application]


class UpdateApplication(RequestModel):
    """`PATCH credentialing/applications/:id` (admins): a status change (legal transitions only) and/or dates
    (`null` clears one), with an optional note; each call is one history entry."""

    status: ApplicationStatus | None = None
    follow_up_on: Day | None = None
    decision_on: Day | None = None
    expires_on: Day | None = None
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)] | None = None

    @model_validator(mode="after")
    def _something(self) -> UpdateApplication:
        if not self.model_fields_set:
            raise ValueError("give at least one of status, followUpOn, decisionOn, expiresOn, note")
        return self


class ApplicationQuery(RequestModel):
    status: ApplicationStatus | None = None
