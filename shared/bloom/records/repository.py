"""The records area's documents: `patientFiles`, `intakeForms`, `diagnoses`, `treatmentPlans`,
`treatmentPlanVersions`, `sessionNotes`, `accessAudit` (append-only) and `recordExports`. Clients read none of
them (security rules)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bloom.platform.cursors import AfterTimeAndId
from bloom.platform.store.client import count_round_trip
from bloom.platform.store.indexes import composite_index
from bloom.platform.store.repository import Filter, Repository
from bloom.platform.store.unit_of_work import UnitOfWork, repository
from bloom.records.models import (
    AccessAuditRecord,
    DiagnosisRecord,
    ExportRecord,
    IntakeRecord,
    NoteRecord,
    PatientFileRecord,
    PlanRecord,
)

NOTES = "sessionNotes"
NOTES_OF_PATIENT = composite_index(
    NOTES, ("patientId", "ASCENDING"), ("createdAt", "DESCENDING"), ("__name__", "DESCENDING")
)
SHARED_NOTES_OF_PATIENT = composite_index(
    NOTES, ("patientId", "ASCENDING"), ("shared", "ASCENDING"), ("createdAt", "DESCENDING"), ("__name__", "DESCENDING")
)
AUDIT = "accessAudit"
AUDIT_OF_PATIENT = composite_index(AUDIT, ("patientId", "ASCENDING"), ("at", "DESCENDING"), ("__name__", "DESCENDING"))
DIAGNOSES_MAX = 200
PURGE_PAGE = 50


def _newest_first(query: Any, order_field: str, after: AfterTimeAndId | None, repo: Repository[Any]) -> Any:
    from google.cloud.firestore import Query
    from google.cloud.firestore_v1.field_path import FieldPath

    query = query.order_by(order_field, direction=Query.DESCENDING)
    query = query.order_by(FieldPath.document_id(), direction=Query.DESCENDING)
    if after is not None:
        query = query.start_after({order_field: after.at, FieldPath.document_id(): repo.ref(after.id)})
    return query


class PatientFilesRepository(Repository[PatientFileRecord]):
    collection_name = "patientFiles"
    model = PatientFileRecord

    def due_for_purge(self, now: datetime) -> list[PatientFileRecord]:
        """Erased files whose retention period has ended (a range on one field: no composite index)."""
        rows = self.select([Filter("purgeAfter", "<=", now)], limit=PURGE_PAGE)
        return [item for _, item in rows]


class IntakesRepository(Repository[IntakeRecord]):
    collection_name = "intakeForms"
    model = IntakeRecord


class DiagnosesRepository(Repository[DiagnosisRecord]):
    collection_name = "diagnoses"
    model = DiagnosisRecord

    def of_patient(self, patient_id: str) -> list[DiagnosisRecord]:
        rows = self.select([Filter("patientId", "==", patient_id)], limit=DIAGNOSES_MAX)
        return sorted((item for _, item in rows), key=lambda item: item.recorded_at)


class PlansRepository(Repository[PlanRecord]):
    collection_name = "treatmentPlans"
    model = PlanRecord


class PlanVersionsRepository(Repository[PlanRecord]):
    collection_name = "treatmentPlanVersions"
    model = PlanRecord

    @staticmethod
    def version_id(patient_id: str, version: int) -> str:
        return f"{patient_id}_{version:06d}"


class NotesRepository(Repository[NoteRecord]):
    collection_name = NOTES
    model = NoteRecord

    def page_of(
        self, patient_id: str, *, shared_only: bool, after: AfterTimeAndId | None, limit: int
    ) -> list[NoteRecord]:
        """One query: the patient's notes (or only those shared with them), newest first, after a cursor."""
        shared = [Filter("shared", "==", True)] if shared_only else []
        query = self.query([Filter("patientId", "==", patient_id), *shared])
        if query is None:
            return []
        query = _newest_first(query, "createdAt", after, self).limit(limit)
        count_round_trip()
        return [NoteRecord.model_validate(s.to_dict()) for s in query.stream(transaction=self.session.transaction)]


class AccessAuditRepository(Repository[AccessAuditRecord]):
    collection_name = AUDIT
    model = AccessAuditRecord

    def page_of(self, patient_id: str, after: AfterTimeAndId | None, limit: int) -> list[AccessAuditRecord]:
        query = self.query([Filter("patientId", "==", patient_id)])
        if query is None:
            return []
        query = _newest_first(query, "at", after, self).limit(limit)
        count_round_trip()
        return [AccessAuditRecord.model_validate(s.to_dict()) for s in query.stream()]


class ExportsRepository(Repository[ExportRecord]):
    collection_name = "recordExports"
    model = ExportRecord

    def of_patient(self, patient_id: str) -> list[ExportRecord]:
        return [item for _, item in self.select([Filter("patientId", "==", patient_id)])]


class RecordsWork(UnitOfWork):
    files = repository(PatientFilesRepository)
    intakes = repository(IntakesRepository)
    diagnoses = repository(DiagnosesRepository)
    plans = repository(PlansRepository)
    plan_versions = repository(PlanVersionsRepository)
    notes = repository(NotesRepository)
    audit = repository(AccessAuditRepository)
    exports = repository(ExportsRepository)
