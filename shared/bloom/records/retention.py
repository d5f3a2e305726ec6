"""Erasure and retention of clinical records.

When a patient is erased (`user.deleted`), their records become unreadable through the API at once (404 for
everyone) and their export bundles are deleted (copies, not records to retain); the records are kept until
`RECORDS_RETENTION_YEARS` after the last record's date. A daily job then deletes them and destroys the patient's
data key (crypto-shredding: any copy left anywhere, a backup included, stays sealed for good). The access audit is
kept: it holds ids only.
"""

from __future__ import annotations

from datetime import datetime

from bloom.core.logging import get_logger
from bloom.core.settings import get_settings
from bloom.core.time import utcnow
from bloom.platform import crypto
from bloom.platform.store.repository import DELETE
from bloom.records.models import retention_ends
from bloom.records.repository import RecordsWork

_log = get_logger(__name__)


def erase_patient_records(patient_id: str) -> bool:
    """Close the patient's records (idempotent); False when they have none or they are already erased."""

    def work(uow: RecordsWork) -> bool:
        file = uow.files.get(patient_id)
        if file is None or file.erased_at is not None:
            return False
        ends = retention_ends(file.last_record_at, get_settings().records_retention_years)
        uow.files.change(patient_id, erased_at=utcnow(), purge_after=ends)
        return True

    erased = RecordsWork.run_in_transaction(work)
    _log.info("clinical records of an erased patient closed", extra={"erased": erased})
    return erased


def purge_expired_records(now: datetime) -> int:
    """Delete the records of erased patients whose retention period ended by `now`, and destroy their data keys.
    Returns how many patients' records were purged. Safe to run again: a purged file is no longer due."""
    with RecordsWork() as uow:
        due = uow.files.due_for_purge(now)
    for file in due:
        _purge(file.patient_id)
    if due:
        _log.info("expired clinical records purged", extra={"patients": len(due)})
    return len(due)


def _purge(patient_id: str) -> None:
    with RecordsWork() as uow:
        for repo in (uow.diagnoses, uow.notes, uow.plan_versions):
            repo.delete_matching(patient_id=patient_id)  # committed batches of their own
        uow.intakes.delete(patient_id)
        uow.plans.delete(patient_id)

    def shred(uow: RecordsWork) -> None:
        crypto.destroy_data_key_in(uow, patient_id)
        uow.files.change(patient_id, purged_at=utcnow(), purge_after=DELETE)

    RecordsWork.run_in_transaction(shred)
