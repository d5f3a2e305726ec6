"""Events the records area publishes (ids only)."""

from __future__ import annotations

from pydantic import BaseModel

from bloom.platform.topics import declare_topic


class ExportRequested(BaseModel):
    """A patient asked for an export of their records; a subscriber builds the bundle."""

    export_id: str
    patient_id: str
    auth_uid: str


EXPORT_REQUESTED = declare_topic("records.export-requested", ExportRequested, "A patient asked for a records export")
