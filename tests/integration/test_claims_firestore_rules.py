"""Clients reach none of the claims area's collections (`patientInsurance`, `eligibilityChecks`, `claims`), not even
the documents about themselves: insurance, eligibility and claims go through the API only. Real client credentials
against the stack's emulator, which loads `firestore.rules`."""

from __future__ import annotations

from bloom.platform.store.client import db
from infra.auth_emulator import AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.firestore_rest import get, list_documents, write

COLLECTIONS = ("patientInsurance", "eligibilityChecks", "claims")


def test_clients_reach_no_claims_document_not_even_their_own(stack: RunningStack, auth: AuthEmulator) -> None:
    owner = auth.sign_up("insured@example.com")
    patient_id = f"user-{owner.uid}"
    db().collection("patientInsurance").document(patient_id).set({"patientId": patient_id, "payerId": "UHC"})
    db().collection("eligibilityChecks").document(f"{patient_id}-1").set({"patientId": patient_id, "status": "active"})
    db().collection("claims").document("claim-a1").set({"patientId": patient_id, "status": "draft"})
    for path in (f"patientInsurance/{patient_id}", f"eligibilityChecks/{patient_id}-1", "claims/claim-a1"):
        assert get(stack, owner, path) == 403, path
        assert get(stack, None, path) == 403, path
        assert write(stack, owner, path, {"status": {"stringValue": "paid"}}) == 403, path
    for collection in COLLECTIONS:
        assert list_documents(stack, owner, collection) == 403, collection
    assert db().collection("claims").document("claim-a1").get().get("status") == "draft"
