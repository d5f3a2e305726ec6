"""Events the credentialing area publishes."""

from __future__ import annotations

from bloom.credentialing.schemas import SourceAdded
from bloom.platform.topics import declare_topic

# --- sources and chunks (rag)
SOURCE_ADDED = declare_topic(
    "credentialing.source-added", SourceAdded, "A requirements source was added or re-ingested: ingest its PDF"
)
