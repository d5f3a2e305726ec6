"""Insurance, eligibility and claims over HTTP as the frontend drives them, against the local Optum fake that checks
what we send: member data sealed at rest, eligibility summarised (the 271 never stored), one claim per completed
appointment, validation naming fields, submission, the status poll (idempotent, settable clock), the care-team
matrix of every claims route, and erasure (insurance goes, claims stay with ids only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer

from bloom.claims import service as claims
from bloom.platform.registry import Role
from bloom.scheduling import service as scheduling
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.manifest import load_everything
from infra.stack_runner import RunningStack
from tests.support.optum_fake import COVERED_MEMBER, INACTIVE_MEMBER, RENDERING_NPI, Optum
from tests.support.practice import P, Therapist, active_assignment, patient, practice_admin, therapist, user_id
from tests.support.records import every_stored_document
from tests.support.scheduling import availability, book, hold, hour_ahead
from tests.support.users import make_user
from tests.support.wait import eventually

INSURANCE = {
    "payerId": "UHC",
    "memberId": COVERED_MEMBER,
    "groupNumber": "GRP-77",
    "subscriber": {"firstName": "Zelda", "lastName": "Quixotic", "dateOfBirth": "1980-01-02"},
    "relationship": "self",
}
CLAIM_BODY = {"diagnosisCodes": ["F43.10", "Z63.0"], "procedureCode": "90834", "renderingNpi": RENDERING_NPI}


@dataclass(frozen=True)
class World:
    callers: dict[str, AuthAccount | None]
    patient_id: str
    dr: Therapist
    appointment_id: str  # completed
    booked_id: str  # booked, not completed yet


def _req(
    stack: RunningStack, method: str, path: str, account: AuthAccount | None, body: Any = None
) -> requests.Response:
    headers = account.headers if account is not None else {}
    return requests.request(method, f"{stack.api}/v1/{P}/{path}", json=body, headers=headers, timeout=60)


def _ok(response: requests.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _appointment(stack: RunningStack, pat: AuthAccount, dr: Therapist, days: int) -> str:
    held = _ok(hold(stack, pat, dr.profile_id, hour_ahead(days)), 201)
    return str(_ok(book(stack, pat, held["id"]), 201)["id"])


def world(stack: RunningStack, auth: AuthEmulator, *, insured: bool = True) -> World:
    admin = practice_admin(auth)
    dr = therapist(stack, auth, admin, "dr.claims@example.com")
    other = therapist(stack, auth, admin, "dr.other@example.com")
    no_mfa = therapist(stack, auth, admin, "dr.nomfa@example.com", mfa=False)
    pat, outsider = patient(auth, "pat.claims@example.com"), patient(auth, "outsider@example.com")
    active_assignment(stack, admin, dr, pat)
    price = {"amount": 15000, "currency": "USD"}
    _ok(_req(stack, "PUT", f"therapists/{dr.profile_id}/availability", dr.account, availability(price=price)))
    appointment_id = _appointment(stack, pat, dr, 1)
    booked_id = _appointment(stack, pat, dr, 2)
    scheduling.settle_attendance(appointment_id, therapist_seen=True, patient_seen=True)
    if insured:
        _ok(_req(stack, "PUT", "patients/me/insurance", pat, INSURANCE))
    callers: dict[str, AuthAccount | None] = {
        "none": None,
        "no_mfa": no_mfa.account,
        "outsider": outsider,
        "other_dr": other.account,
        "pat": pat,
        "admin": admin,
        "dr": dr.account,
    }
    return World(callers, user_id(pat), dr, appointment_id, booked_id)


@pytest.fixture
def optum(stack: RunningStack, httpserver: HTTPServer) -> Optum:
    return Optum().install(httpserver)


# ---------------------------------------------------------------- insurance


def test_insurance_is_sealed_at_rest_and_read_by_the_care_team(stack: RunningStack, auth: AuthEmulator) -> None:
    w = world(stack, auth)
    pat, dr, admin = w.callers["pat"], w.callers["dr"], w.callers["admin"]
    mine = _ok(_req(stack, "GET", "patients/me/insurance", pat))
    assert mine == {**INSURANCE, "patientId": w.patient_id, "updatedAt": mine["updatedAt"]}
    assert _ok(_req(stack, "GET", f"patients/{w.patient_id}/insurance", dr)) == mine
    assert _ok(_req(stack, "GET", f"patients/{w.patient_id}/insurance", admin)) == mine
    for who in ("other_dr", "outsider"):
        refused = _req(stack, "GET", f"patients/{w.patient_id}/insurance", w.callers[who])
        assert (refused.status_code, refused.json()["message"]) == (404, "INSURANCE_NOT_FOUND"), who
    stored = every_stored_document()
    for secret in (COVERED_MEMBER, "GRP-77", "Zelda", "Quixotic", "1980-01-02", "19800102"):
        assert secret not in stored
    assert f"patientInsurance/{w.patient_id}" in stored


def test_insurance_is_validated(stack: RunningStack, auth: AuthEmulator) -> None:
    pat = make_user(auth, "pat.invalid@example.com")
    body = {**INSURANCE, "relationship": "cousin", "subscriber": {"firstName": "A"}}
    response = _req(stack, "PUT", "patients/me/insurance", pat, body)
    assert response.status_code == 400
    assert any("relationship" in message for message in response.json()["message"])
    assert any("subscriber.lastName" in message for message in response.json()["message"])


# ---------------------------------------------------------------- eligibility


def test_an_eligibility_check_keeps_a_summary_only(stack: RunningStack, auth: AuthEmulator, optum: Optum) -> None:
    w = world(stack, auth)
    check = _ok(_req(stack, "POST", "eligibility-checks", w.callers["dr"], {"patientId": w.patient_id}), 201)
    assert {key: check[key] for key in ("status", "plan", "copay", "coinsurancePercent", "deductibleRemaining")} == {
        "status": "active",
        "plan": "GOLD PPO",
        "copay": 12.0,
        "coinsurancePercent": 20.0,
        "deductibleRemaining": 1484.0,
    }
    [sent] = optum.bodies("/medicalnetwork/eligibility/v3/")
    assert sent["subscriber"] == {
        "memberId": COVERED_MEMBER,
        "firstName": "Zelda",
        "lastName": "Quixotic",
        "dateOfBirth": "19800102",
        "groupNumber": "GRP-77",
    }
    stored = every_stored_document()
    assert f"eligibilityChecks/{check['id']}" in stored
    for raw in ("benefitsInformation", "Active Coverage", "Zelda", COVERED_MEMBER):
        assert raw not in stored


def test_no_member_data_reaches_the_log(stack: RunningStack, auth: AuthEmulator, optum: Optum) -> None:
    w = world(stack, auth)
    log_path = stack.log_path
    assert log_path is not None
    offset = log_path.stat().st_size
    dr = w.callers["dr"]
    _ok(_req(stack, "GET", f"patients/{w.patient_id}/insurance", dr))
    _ok(_req(stack, "POST", "eligibility-checks", dr, {"patientId": w.patient_id}), 201)
    draft = _ok(_req(stack, "POST", "claims", dr, {**CLAIM_BODY, "appointmentId": w.appointment_id}), 201)
    _ok(_req(stack, "POST", f"claims/{draft['id']}/submit", dr), 201)

    def since() -> str:
        with log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", errors="replace")

    text = eventually(since, lambda log: "/submit 201" in log)
    assert "optum" in text  # the calls to Optum were logged: the check below is not vacuous
    for secret in (COVERED_MEMBER, "GRP-77", "Zelda", "Quixotic", "1980-01-02", "19800102", "optum-token-1"):
        assert secret not in text, secret


def test_a_payer_rejection_is_an_error_check(stack: RunningStack, auth: AuthEmulator, optum: Optum) -> None:
    w = world(stack, auth)
    _ok(_req(stack, "PUT", "patients/me/insurance", w.callers["pat"], {**INSURANCE, "memberId": "UNKNOWN42"}))
    check = _ok(_req(stack, "POST", "eligibility-checks", w.callers["admin"], {"patientId": w.patient_id}), 201)
    assert (check["status"], check["plan"], check["copay"]) == ("error", None, None)
    _ok(_req(stack, "PUT", "patients/me/insurance", w.callers["pat"], {**INSURANCE, "memberId": INACTIVE_MEMBER}))
    check = _ok(_req(stack, "POST", "eligibility-checks", w.callers["admin"], {"patientId": w.patient_id}), 201)
    assert check["status"] == "inactive"


def test_optum_down_is_a_503(stack: RunningStack, auth: AuthEmulator, optum: Optum) -> None:
    w = world(stack, auth)
    optum.down = True
    response = _req(stack, "POST", "eligibility-checks", w.callers["dr"], {"patientId": w.patient_id})
    assert (response.status_code, response.json()["message"]) == (503, "OPTUM_UNAVAILABLE")


# ---------------------------------------------------------------- claims


def _claim_states(claim: dict[str, Any]) -> list[str]:
    return [entry["status"] for entry in claim["history"]]


def test_a_claim_from_draft_to_paid(stack: RunningStack, auth: AuthEmulator, optum: Optum) -> None:
    w = world(stack, auth)
    dr = w.callers["dr"]
    draft = _ok(_req(stack, "POST", "claims", dr, {**CLAIM_BODY, "appointmentId": w.appointment_id}), 201)
    assert draft["id"] == f"claim-{w.appointment_id}"
    assert (draft["status"], draft["payerId"], draft["chargeAmount"], draft["currency"]) == (
        "draft",
        "UHC",
        15000,
        "USD",
    )
    assert (draft["placeOfService"], draft["renderingNpi"], len(draft["controlNumber"])) == ("11", RENDERING_NPI, 9)
    again = _ok(_req(stack, "POST", "claims", dr, {"appointmentId": w.appointment_id, "diagnosisCodes": ["F41.1"],
                                                   "procedureCode": "90837"}), 201)  # fmt: skip
    assert again == draft  # one claim per appointment: asking again returns it
    assert [c["id"] for c in _ok(_req(stack, "GET", "claims", dr))["items"]] == [draft["id"]]
    assert _ok(_req(stack, "GET", f"claims/{draft['id']}", w.callers["pat"])) == draft

    submitted = _ok(_req(stack, "POST", f"claims/{draft['id']}/submit", dr), 201)
    assert _claim_states(submitted) == ["draft", "submitted"]
    [sent] = optum.bodies("/medicalnetwork/professionalclaims/v3/submission")
    info = sent["claimInformation"]
    assert (sent["controlNumber"], sent["tradingPartnerServiceId"], sent["usageIndicator"]) == (
        draft["controlNumber"],
        "UHC",
        "T",
    )
    assert info["healthCareCodeInformation"] == [
        {"diagnosisTypeCode": "ABK", "diagnosisCode": "F4310"},
        {"diagnosisTypeCode": "ABF", "diagnosisCode": "Z630"},
    ]
    line = info["serviceLines"][0]
    assert (info["claimChargeAmount"], line["professionalService"]["procedureCode"]) == ("150.00", "90834")
    assert line["professionalService"]["compositeDiagnosisCodePointers"] == {"diagnosisCodePointers": ["1", "2"]}
    assert (sent["billing"]["npi"], sent["rendering"]["npi"]) == ("1760854442", RENDERING_NPI)
    refused = _req(stack, "POST", f"claims/{draft['id']}/submit", dr)
    assert (refused.status_code, refused.json()["message"]) == (409, "CLAIM_NOT_DRAFT")

    first = datetime(2030, 5, 1, 9, 0, tzinfo=UTC)
    assert claims.poll_claim_statuses(now=first) == 1  # A1: acknowledged
    assert claims.poll_claim_statuses(now=first) == 0  # the same answer again changes nothing
    accepted = _ok(_req(stack, "GET", f"claims/{draft['id']}", dr))
    assert _claim_states(accepted) == ["draft", "submitted", "accepted"]
    assert accepted["history"][-1] == {
        "status": "accepted",
        "at": "2030-05-01T09:00:00Z",
        "note": "claim status: A1, 19",
    }
    optum.status_of[draft["controlNumber"]] = ("F1", "65")
    assert claims.poll_claim_statuses(now=first + timedelta(hours=1)) == 1
    assert claims.poll_claim_statuses(now=first + timedelta(hours=2)) == 0  # paid: no longer asked about
    paid = _ok(_req(stack, "GET", f"claims/{draft['id']}", w.callers["admin"]))
    assert (paid["status"], paid["payerClaimId"]) == ("paid", f"PAYER-{draft['controlNumber']}")
    assert _claim_states(paid) == ["draft", "submitted", "accepted", "paid"]
    assert optum.count("/medicalnetwork/claimstatus") == 3


def test_a_clearinghouse_rejection_keeps_codes_only(stack: RunningStack, auth: AuthEmulator, optum: Optum) -> None:
    w = world(stack, auth)
    draft = _ok(_req(stack, "POST", "claims", w.callers["dr"], {**CLAIM_BODY, "appointmentId": w.appointment_id}), 201)
    optum.reject_submissions = True
    rejected = _ok(_req(stack, "POST", f"claims/{draft['id']}/submit", w.callers["admin"]), 201)
    assert rejected["status"] == "rejected"
    assert rejected["history"][-1]["note"] == "rejected by the clearinghouse (EDITS): 33"
    assert claims.poll_claim_statuses() == 0 and optum.count("/medicalnetwork/claimstatus") == 0


def test_claims_are_validated_naming_fields(stack: RunningStack, auth: AuthEmulator) -> None:
    w = world(stack, auth)
    dr = w.callers["dr"]
    not_completed = _req(stack, "POST", "claims", dr, {**CLAIM_BODY, "appointmentId": w.booked_id})
    assert (not_completed.status_code, not_completed.json()["message"]) == (
        400,
        ["appointmentId must be a completed appointment"],
    )
    bad = {**CLAIM_BODY, "appointmentId": w.appointment_id, "diagnosisCodes": ["F4310"], "procedureCode": "99213"}
    bad |= {"placeOfService": "12", "renderingNpi": "1234567890"}
    response = _req(stack, "POST", "claims", dr, bad)
    assert (response.status_code, response.json()["message"]) == (
        400,
        [
            "diagnosisCodes must be ICD-10-CM codes (e.g. F43.10)",
            "procedureCode must be one of 90791, 90832, 90834, 90837, 90846, 90847",
            "placeOfService must be 02, 10 or 11",
            "renderingNpi must be a valid NPI",
        ],
    )
    assert _ok(_req(stack, "GET", "claims", w.callers["admin"]))["items"] == []


def test_a_claim_needs_insurance(stack: RunningStack, auth: AuthEmulator) -> None:
    w = world(stack, auth, insured=False)
    response = _req(stack, "POST", "claims", w.callers["dr"], {**CLAIM_BODY, "appointmentId": w.appointment_id})
    assert (response.status_code, response.json()["message"]) == (
        400,
        "insurance: the patient has no insurance on file",
    )


def test_erasure_removes_insurance_and_keeps_claims_with_ids(
    stack: RunningStack, auth: AuthEmulator, optum: Optum
) -> None:
    w = world(stack, auth)
    _ok(_req(stack, "POST", "eligibility-checks", w.callers["dr"], {"patientId": w.patient_id}), 201)
    draft = _ok(_req(stack, "POST", "claims", w.callers["dr"], {**CLAIM_BODY, "appointmentId": w.appointment_id}), 201)
    _ok(_req(stack, "POST", f"claims/{draft['id']}/submit", w.callers["dr"]), 201)
    pat = w.callers["pat"]
    assert pat is not None
    assert requests.delete(f"{stack.api}/v1/user", headers=pat.headers, timeout=30).ok
    stored = eventually(every_stored_document, lambda text: "patientInsurance/" not in text)  # user.deleted handled
    assert "eligibilityChecks/" not in stored
    assert f"claims/{draft['id']}" in stored  # a financial record: kept, with ids and codes only
    assert claims.erase_insurance_of(w.patient_id) == 0  # a redelivery finds nothing left
    assert claims.poll_claim_statuses() == 0  # nobody to ask about any more; the claim stays as it was
    kept = _ok(_req(stack, "GET", f"claims/{draft['id']}", w.callers["admin"]))
    assert (kept["status"], kept["patientId"]) == ("submitted", w.patient_id)


# ---------------------------------------------------------------- the care-team matrix

ORDER = ("none", "no_mfa", "outsider", "other_dr", "pat", "admin", "dr")
DENIED = {"none": 401, "no_mfa": 403}
Build = Any
CASES: dict[str, tuple[Build, dict[str, int]]] = {
    "put_insurance": (
        lambda w: ("PUT", "patients/me/insurance", INSURANCE),
        {"none": 401, "no_mfa": 403, "outsider": 200, "pat": 200, "admin": 200, "dr": 200},
    ),
    "get_insurance": (
        lambda w: ("GET", f"patients/{w.patient_id}/insurance", None),
        {**DENIED, "outsider": 404, "other_dr": 404, "pat": 200, "admin": 200, "dr": 200},
    ),
    "create_eligibility_check": (
        lambda w: ("POST", "eligibility-checks", {"patientId": w.patient_id}),
        {**DENIED, "outsider": 403, "pat": 403, "other_dr": 404, "admin": 201, "dr": 201},
    ),
    "create_claim": (
        lambda w: ("POST", "claims", {**CLAIM_BODY, "appointmentId": w.appointment_id}),
        {**DENIED, "outsider": 403, "pat": 403, "admin": 403, "other_dr": 404, "dr": 201},
    ),
    "submit_claim": (
        lambda w: ("POST", f"claims/claim-{w.appointment_id}/submit", None),
        {**DENIED, "outsider": 403, "pat": 403, "other_dr": 404, "dr": 201},
    ),
    "list_claims": (
        lambda w: ("GET", "claims", None),
        {**DENIED, "outsider": 200, "other_dr": 200, "pat": 200, "admin": 200, "dr": 200},
    ),
    "get_claim": (
        lambda w: ("GET", f"claims/claim-{w.appointment_id}", None),
        {**DENIED, "outsider": 404, "other_dr": 404, "pat": 200, "admin": 200, "dr": 200},
    ),
}
SEES_THE_CLAIM = {"pat", "admin", "dr"}


def test_every_claims_endpoint_is_in_the_matrix() -> None:
    specs = [spec for spec in load_everything().values() if spec.module == "functions.claims" and spec.kind == "http"]
    assert {spec.name for spec in specs} == set(CASES)
    assert all(spec.role in (Role.PRACTICE_USER, Role.PRACTICE_STAFF, Role.THERAPIST) for spec in specs)


@pytest.mark.parametrize("name", sorted(CASES))
def test_claims_matrix(name: str, stack: RunningStack, auth: AuthEmulator, optum: Optum) -> None:
    w = world(stack, auth)
    if name in ("submit_claim", "list_claims", "get_claim"):
        _ok(_req(stack, "POST", "claims", w.callers["dr"], {**CLAIM_BODY, "appointmentId": w.appointment_id}), 201)
    build, expected = CASES[name]
    method, path, body = build(w)
    seen = {}
    for who in ORDER:
        if who in expected:
            seen[who] = _req(stack, method, path, w.callers[who], body).status_code
    assert seen == {who: expected[who] for who in ORDER if who in expected}
    if name == "list_claims":
        counts = {who: len(_ok(_req(stack, "GET", "claims", w.callers[who]))["items"]) for who in ORDER[2:]}
        assert counts == {who: int(who in SEES_THE_CLAIM) for who in ORDER[2:]}
