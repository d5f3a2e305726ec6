"""Credentialing's ingestion subscriber: the one function that loads an embedding model (`.importlinter`)."""

from __future__ import annotations

from bloom.credentialing import ingestion
from bloom.credentialing.events import SOURCE_ADDED
from bloom.credentialing.schemas import SourceAdded
from bloom.files.events import UPLOADS_BUCKET
from bloom.platform.events import Event
from bloom.platform.registry import Capability, Sdk
from bloom.platform.subscriber import event_function


@event_function(
    SOURCE_ADDED,
    summary="Ingest a requirements PDF: text per page, overlapping chunks, embeddings, chunk documents with vectors",
    sdks=(Sdk.STORAGE, Sdk.REQUESTS),
    uses=(UPLOADS_BUCKET.capability, Capability.VERTEX_AI),
    memory_mb=1024,
    timeout_s=540,
)
def ingest_credentialing_source(event: Event[SourceAdded]) -> None:
    ingestion.ingest(event.payload)
