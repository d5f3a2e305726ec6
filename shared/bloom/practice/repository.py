"""The practice's documents: `therapistProfiles`, `assignments`, `assignmentPairs` (one open assignment per
pair, by document id) and `authAudit` (append-only)."""

from __future__ import annotations

from typing import Any

from bloom.platform.cursors import AfterId
from bloom.platform.store.client import count_round_trip
from bloom.platform.store.indexes import composite_index
from bloom.platform.store.repository import Filter, Repository
from bloom.platform.store.unit_of_work import UnitOfWork, repository
from bloom.practice.models import FACETS, AssignmentRecord, PairLock, TherapistRecord, facets

ASSIGNMENTS_OF_PATIENT = composite_index("assignments", ("patientId", "ASCENDING"), ("requestedAt", "DESCENDING"))
ASSIGNMENTS_OF_THERAPIST = composite_index("assignments", ("therapistId", "ASCENDING"), ("requestedAt", "DESCENDING"))
CONNECTIONS_MAX = 200


class TherapistsRepository(Repository[TherapistRecord]):
    collection_name = "therapistProfiles"
    model = TherapistRecord

    def to_doc(self, item: TherapistRecord) -> dict[str, Any]:
        doc = super().to_doc(item)
        doc[FACETS] = facets(item)
        return doc

    def of_user(self, user_id: str) -> list[tuple[str, TherapistRecord]]:
        """(profile id, profile) of the user's therapist profile, if they have one."""
        return self.select([Filter("userId", "==", user_id)], limit=1)

    def discover(self, equalities: list[tuple[str, Any]], after: AfterId | None, limit: int) -> list[TherapistRecord]:
        """A page of profiles matching every equality, in id order, after the cursor (equality filters on
        single-field indexes and the document id: no composite index)."""
        from google.cloud.firestore_v1.field_path import FieldPath

        query = self.query([Filter(field, "==", value) for field, value in equalities])
        if query is None:
            return []
        query = query.order_by(FieldPath.document_id())
        if after is not None:
            query = query.start_after({FieldPath.document_id(): self.ref(after.id)})
        count_round_trip()
        return [TherapistRecord.model_validate(s.to_dict()) for s in query.limit(limit).stream()]


class AssignmentsRepository(Repository[AssignmentRecord]):
    collection_name = "assignments"
    model = AssignmentRecord

    def of_patient(self, patient_id: str) -> list[AssignmentRecord]:
        rows = self.select(
            [Filter("patientId", "==", patient_id)],
            order_by=[("requestedAt", "DESCENDING")],
            limit=CONNECTIONS_MAX,
            index=ASSIGNMENTS_OF_PATIENT,
        )
        return [item for _, item in rows]

    def of_therapist(self, therapist_id: str) -> list[AssignmentRecord]:
        rows = self.select(
            [Filter("therapistId", "==", therapist_id)],
            order_by=[("requestedAt", "DESCENDING")],
            limit=CONNECTIONS_MAX,
            index=ASSIGNMENTS_OF_THERAPIST,
        )
        return [item for _, item in rows]


class PairLocksRepository(Repository[PairLock]):
    collection_name = "assignmentPairs"
    model = PairLock


class PracticeWork(UnitOfWork):
    therapists = repository(TherapistsRepository)
    assignments = repository(AssignmentsRepository)
    pairs = repository(PairLocksRepository)
