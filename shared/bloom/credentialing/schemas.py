"""What the credentialing area shows callers and other areas."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

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
