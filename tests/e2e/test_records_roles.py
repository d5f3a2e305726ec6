"""The records' care-team matrix, exactly: every records endpoint against every kind of caller, with real ids.

Callers: no token (401); a therapist or a practice admin without a second factor (403); an outsider and another
therapist (404: nothing of the patient's exists for them); the therapist whose assignment ended (reads, 403 on
writes); the patient (their intake, plan, diagnoses, shared notes; 403 on the therapist's writes, 404 for a note
not shared with them); the assigned therapist (writes); a practice admin (reads, 403 on writes). Callers that must
fail go first, those that succeed last (calls change state); each endpoint gets a fresh world.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from bloom.platform.registry import Role
from infra.auth_emulator import AuthEmulator
from infra.manifest import load_everything
from infra.stack_runner import RunningStack
from tests.support.practice import P, statuses_by_caller
from tests.support.records import CareWorld, care_world

Request = tuple[str, str, dict[str, object] | None]
ORDER = ("none", "no_mfa", "admin_no_mfa", "outsider", "other_dr", "former_dr", "pat", "admin", "dr")
DENIED = {"none": 401, "no_mfa": 403, "admin_no_mfa": 403}
STRANGERS = {"outsider": 404, "other_dr": 404}
READERS = {"former_dr": 200, "pat": 200, "admin": 200, "dr": 200}
THERAPIST_WRITES = {"former_dr": 403, "pat": 403, "admin": 403}
NOTE_WRITES = {"former_dr": 403, "pat": 404, "admin": 403}  # the draft is not shared with the patient


def _patient(w: CareWorld, rest: str) -> str:
    return f"patients/{w.patient_id}/{rest}"


def _export_of_pat(w: CareWorld) -> str:
    """A new export of the patient's (its job id)."""
    pat = w.callers["pat"]
    assert pat is not None
    response = requests.post(f"{w.api}/v1/{P}/patients/me/export", headers=pat.headers, timeout=30)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


RECORDS_CASES: dict[str, tuple[Callable[[CareWorld], Request], dict[str, int]]] = {
    "submit_intake": (
        lambda w: ("PUT", _patient(w, "intake"), {"answers": {"history": "none"}}),
        {**DENIED, **STRANGERS, "former_dr": 403, "admin": 403, "dr": 403, "pat": 200},
    ),
    "get_intake": (lambda w: ("GET", _patient(w, "intake"), None), {**DENIED, **STRANGERS, **READERS}),
    "create_diagnosis": (
        lambda w: ("POST", _patient(w, "diagnoses"), {"code": "F41.1", "description": "GAD"}),
        {**DENIED, **STRANGERS, **THERAPIST_WRITES, "dr": 201},
    ),
    "update_diagnosis": (
        lambda w: ("PATCH", _patient(w, f"diagnoses/{w.diagnosis}"), {"status": "confirmed"}),
        {**DENIED, **STRANGERS, **THERAPIST_WRITES, "dr": 200},
    ),
    "list_diagnoses": (lambda w: ("GET", _patient(w, "diagnoses"), None), {**DENIED, **STRANGERS, **READERS}),
    "save_treatment_plan": (
        lambda w: ("PUT", _patient(w, "treatment-plan"), {"goals": [{"text": "walk daily"}]}),
        {**DENIED, **STRANGERS, **THERAPIST_WRITES, "dr": 200},
    ),
    "get_treatment_plan": (
        lambda w: ("GET", _patient(w, "treatment-plan"), None),
        {**DENIED, **STRANGERS, **READERS},
    ),
    "create_note": (
        lambda w: ("POST", _patient(w, "notes"), {"format": "dap", "body": {"data": "d"}}),
        {**DENIED, **STRANGERS, **THERAPIST_WRITES, "dr": 201},
    ),
    "list_notes": (lambda w: ("GET", _patient(w, "notes"), None), {**DENIED, **STRANGERS, **READERS}),
    "get_note": (
        lambda w: ("GET", f"notes/{w.draft_note}", None),
        {**DENIED, **STRANGERS, **READERS, "pat": 404},
    ),
    "update_note": (
        lambda w: ("PATCH", f"notes/{w.draft_note}", {"body": {"text": "edited"}}),
        {**DENIED, **STRANGERS, **NOTE_WRITES, "dr": 200},
    ),
    "sign_note": (
        lambda w: ("POST", f"notes/{w.draft_note}/sign", None),
        {**DENIED, **STRANGERS, **NOTE_WRITES, "dr": 201},
    ),
    "amend_note": (
        lambda w: ("POST", f"notes/{w.shared_note}/amendments", {"text": "correction", "reason": "typo"}),
        {**DENIED, **STRANGERS, **THERAPIST_WRITES, "dr": 201},
    ),
    "request_export": (  # everyone's own export
        lambda w: ("POST", "patients/me/export", None),
        {**DENIED, "outsider": 202, "other_dr": 202, "former_dr": 202, "pat": 202, "admin": 202, "dr": 202},
    ),
    "get_export": (
        lambda w: ("GET", f"patients/me/export/{_export_of_pat(w)}", None),
        {**DENIED, **STRANGERS, "former_dr": 404, "admin": 404, "dr": 404, "pat": 200},
    ),
    "get_access_log": (
        lambda w: ("GET", _patient(w, "access-log"), None),
        {**DENIED, **STRANGERS, "former_dr": 404, "dr": 404, "pat": 200, "admin": 200},
    ),
}
RECORDS_MODULE = "functions.records"


def test_every_records_endpoint_is_in_the_matrix() -> None:
    names = {spec.name for spec in load_everything().values() if spec.module == RECORDS_MODULE and spec.kind == "http"}
    assert all(spec.role is Role.PRACTICE_USER for spec in load_everything().values() if spec.name in names)
    assert names == set(RECORDS_CASES)


@pytest.mark.parametrize("name", sorted(RECORDS_CASES))
def test_records_matrix(name: str, stack: RunningStack, auth: AuthEmulator) -> None:
    w = care_world(stack, auth)
    build, expected = RECORDS_CASES[name]
    seen = statuses_by_caller(stack, w.callers, ORDER, expected, build(w))
    assert seen == {who: expected[who] for who in ORDER if who in expected}
