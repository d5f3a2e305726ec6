"""The claims area's documents: `patientInsurance/{patientId}` (member data sealed), `eligibilityChecks` (summaries
only) and `claims/{claim-<appointmentId>}`. Clients read none of them (security rules)."""

from __future__ import annotations

from bloom.claims.models import POLLED, ClaimRecord, EligibilityRecord, InsuranceRecord
from bloom.platform.store.repository import Filter, Repository
from bloom.platform.store.unit_of_work import UnitOfWork, repository

LIST_MAX = 200
POLL_PAGE = 100


class InsuranceRepository(Repository[InsuranceRecord]):
    collection_name = "patientInsurance"
    model = InsuranceRecord


class EligibilityRepository(Repository[EligibilityRecord]):
    collection_name = "eligibilityChecks"
    model = EligibilityRecord


class ClaimsRepository(Repository[ClaimRecord]):
    collection_name = "claims"
    model = ClaimRecord

    def _newest_first(self, filters: list[Filter]) -> list[ClaimRecord]:
        """Equality on one field at most: no composite index; sorted here (a therapist's claims are few)."""
        rows = self.select(filters, limit=LIST_MAX)
        return sorted((item for _, item in rows), key=lambda item: (item.created_at, item.id), reverse=True)

    def of_therapist(self, therapist_id: str) -> list[ClaimRecord]:
        return self._newest_first([Filter("therapistId", "==", therapist_id)])

    def of_patient(self, patient_id: str) -> list[ClaimRecord]:
        return self._newest_first([Filter("patientId", "==", patient_id)])

    def recent(self) -> list[ClaimRecord]:
        rows = self.select(order_by=[("createdAt", "DESCENDING")], limit=LIST_MAX)
        return [item for _, item in rows]

    def awaiting_payer(self) -> list[ClaimRecord]:
        """Claims the status poll asks about (submitted or accepted), oldest change first."""
        rows = self.select([Filter("status", "in", list(POLLED))], limit=POLL_PAGE)
        return sorted((item for _, item in rows), key=lambda item: item.updated_at)


class ClaimsWork(UnitOfWork):
    insurance = repository(InsuranceRepository)
    eligibility = repository(EligibilityRepository)
    claims = repository(ClaimsRepository)
