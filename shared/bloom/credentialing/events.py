"""Events the credentialing area publishes."""

from __future__ import annotations

from pydantic import BaseModel

from bloom.credentialing.schemas import ApplicationStatus, SourceAdded
from bloom.platform.topics import declare_topic

# --- sources and chunks (rag)
SOURCE_ADDED = declare_topic(
    "credentialing.source-added", SourceAdded, "A requirements source was added or re-ingested: ingest its PDF"
)


# --- applications
class ApplicationStatusChanged(BaseModel):
    """An application's status changed (`from_status` None: created as a draft). Ids, statuses and time only."""

    application_id: str
    from_status: ApplicationStatus | None
    to_status: ApplicationStatus
    at: str


APPLICATION_STATUS_CHANGED = declare_topic(
    "credentialing.application-status-changed",
    ApplicationStatusChanged,
    "A credentialing application was created, submitted, reviewed or expired (its status before and after)",
)
