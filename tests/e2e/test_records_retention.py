"""Erasure and retention: an erased patient's records are unreadable at once, kept for RECORDS_RETENTION_YEARS
after the last record, then deleted by the daily job with the patient's data key destroyed (crypto-shredding)."""

from __future__ import annotations

from datetime import timedelta

import requests

from bloom.core.time import utcnow
from bloom.platform.crypto.store import DataKeysRepository
from infra.auth_emulator import AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.practice import P
from tests.support.records import care_world, every_stored_document, run_job_at
from tests.support.wait import eventually

PURGE_JOB = "purge_expired_records"
RETENTION_YEARS = 7  # RECORDS_RETENTION_YEARS's default


def test_erased_records_are_unreadable_then_purged_and_shredded(stack: RunningStack, auth: AuthEmulator) -> None:
    w = care_world(stack, auth)
    pat, dr, admin = w.callers["pat"], w.callers["dr"], w.callers["admin"]
    assert pat is not None and dr is not None and admin is not None
    intake = f"{stack.api}/v1/{P}/patients/{w.patient_id}/intake"
    assert requests.get(intake, headers=dr.headers, timeout=30).status_code == 200
    retention_ends = utcnow().replace(year=utcnow().year + RETENTION_YEARS)  # the last record was just before

    assert requests.delete(f"{stack.api}/v1/user", headers=pat.headers, timeout=30).status_code == 200
    eventually(lambda: requests.get(intake, headers=dr.headers, timeout=30).status_code, lambda status: status == 404)
    for path in ("intake", "diagnoses", "treatment-plan", "notes"):
        url = f"{stack.api}/v1/{P}/patients/{w.patient_id}/{path}"
        assert requests.get(url, headers=admin.headers, timeout=30).status_code == 404, path
    note = f"{stack.api}/v1/{P}/notes/{w.shared_note}"
    assert requests.get(note, headers=dr.headers, timeout=30).status_code == 404
    written = requests.post(
        f"{stack.api}/v1/{P}/patients/{w.patient_id}/diagnoses",
        json={"code": "F43.1", "description": "after erasure"},
        headers=dr.headers,
        timeout=30,
    )
    assert written.status_code == 404

    run_job_at(PURGE_JOB, retention_ends - timedelta(days=2))  # the period has not ended: kept
    kept = DataKeysRepository().get(w.patient_id)
    assert kept is not None and kept.wrapped is not None
    assert f"intakeForms/{w.patient_id}" in every_stored_document()

    run_job_at(PURGE_JOB, retention_ends + timedelta(days=1))
    shredded = DataKeysRepository().get(w.patient_id)
    assert shredded is not None and shredded.wrapped is None and shredded.destroyed_at is not None
    stored = every_stored_document()
    for collection in ("intakeForms", "diagnoses", "treatmentPlans", "treatmentPlanVersions", "sessionNotes"):
        assert f"{collection}/" not in stored, collection
    assert "accessAudit/" in stored  # the audit stays: ids only
