"""Clinical records over HTTP: notes signed, locked and amended; plan versions; what the patient sees; the access
log of every action; and no plaintext of a record anywhere it is stored or logged."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from infra.auth_emulator import AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.accounts import call
from tests.support.practice import P
from tests.support.records import CareWorld, care_world, every_stored_document, note


def _api(stack: RunningStack, method: str, path: str, w: CareWorld, who: str, **kwargs: Any) -> requests.Response:
    account = w.callers[who]
    assert account is not None
    return requests.request(method, f"{stack.api}/v1/{P}/{path}", headers=account.headers, timeout=30, **kwargs)


def test_a_signed_note_is_locked_and_changes_only_by_appended_amendments(
    stack: RunningStack, auth: AuthEmulator
) -> None:
    w = care_world(stack, auth)
    created = call(
        stack,
        "POST",
        f"{P}/patients/{w.patient_id}/notes",
        w.dr.account,
        json={"format": "soap", "body": {"subjective": "tired", "plan": "rest"}},
    )
    assert created["status"] == "draft" and created["body"] == {
        "subjective": "tired",
        "objective": "",
        "assessment": "",
        "plan": "rest",
    }
    note_path = f"notes/{created['id']}"
    early = _api(stack, "POST", f"{note_path}/amendments", w, "dr", json={"text": "x", "reason": "y"})
    assert (early.status_code, early.json()["message"]) == (409, "NOTE_NOT_SIGNED")
    edited = _api(stack, "PATCH", note_path, w, "dr", json={"body": {"objective": "calm"}, "shared": True})
    assert edited.status_code == 200 and edited.json()["body"]["objective"] == "calm" and edited.json()["shared"]
    wrong = _api(stack, "PATCH", note_path, w, "dr", json={"body": {"data": "dap field"}})
    assert (wrong.status_code, wrong.json()["message"]) == (400, "NOTE_FORMAT_MISMATCH")

    signed = _api(stack, "POST", f"{note_path}/sign", w, "dr").json()
    assert signed["status"] == "signed" and signed["signedAt"] is not None
    locked = _api(stack, "PATCH", note_path, w, "dr", json={"body": {"plan": "changed"}})
    assert (locked.status_code, locked.json()["message"]) == (409, "NOTE_SIGNED")
    again = _api(stack, "POST", f"{note_path}/sign", w, "dr")
    assert (again.status_code, again.json()["message"]) == (409, "NOTE_SIGNED")

    for n in (1, 2):
        amended = _api(stack, "POST", f"{note_path}/amendments", w, "dr", json={"text": f"a{n}", "reason": f"r{n}"})
        assert amended.status_code == 201
    final = _api(stack, "GET", note_path, w, "pat").json()  # shared with the patient now
    assert [(a["text"], a["reason"], a["by"]) for a in final["amendments"]] == [
        ("a1", "r1", w.dr.user_id),
        ("a2", "r2", w.dr.user_id),
    ]
    assert final["body"]["subjective"] == "tired" and final["body"]["plan"] == "rest"


def test_each_plan_save_is_a_new_version_and_old_ones_are_kept(stack: RunningStack, auth: AuthEmulator) -> None:
    w = care_world(stack, auth)  # version 1: "sleep through"
    plan = f"patients/{w.patient_id}/treatment-plan"
    body = {"goals": [{"text": "walk daily", "objectives": ["10 minutes"], "status": "in_progress"}]}
    saved = _api(stack, "PUT", plan, w, "dr", json={**body, "reviewDate": "2027-01-15"}).json()
    assert saved["version"] == 2 and saved["goals"][0]["id"] and saved["reviewDate"] == "2027-01-15"
    latest = _api(stack, "GET", plan, w, "pat").json()
    assert latest["version"] == 2 and latest["goals"][0]["objectives"] == ["10 minutes"]
    first = _api(stack, "GET", plan, w, "former_dr", params={"version": 1}).json()
    assert first["version"] == 1 and [g["text"] for g in first["goals"]] == ["sleep through"]
    assert _api(stack, "GET", plan, w, "admin", params={"version": 3}).status_code == 404


def test_the_patient_sees_only_the_notes_shared_with_them(stack: RunningStack, auth: AuthEmulator) -> None:
    w = care_world(stack, auth)
    notes = f"patients/{w.patient_id}/notes"
    theirs = _api(stack, "GET", notes, w, "pat").json()
    assert [n["id"] for n in theirs["items"]] == [w.shared_note]
    everything = _api(stack, "GET", notes, w, "former_dr").json()
    assert [n["id"] for n in everything["items"]] == [w.shared_note, w.draft_note]  # newest first
    assert _api(stack, "GET", f"notes/{w.draft_note}", w, "pat").status_code == 404
    assert _api(stack, "GET", f"notes/{w.shared_note}", w, "pat").json()["body"] == {"text": "shared"}


def test_notes_are_paged_with_a_cursor(stack: RunningStack, auth: AuthEmulator) -> None:
    w = care_world(stack, auth)
    for n in range(3):
        note(stack, w.dr, w.patient_id, shared=False, text=f"n{n}")
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = _api(stack, "GET", f"patients/{w.patient_id}/notes", w, "dr", params=params).json()
        seen += [item["body"]["text"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == ["n2", "n1", "n0", "shared", "draft"]
    forged = _api(stack, "GET", f"patients/{w.patient_id}/notes", w, "dr", params={"cursor": "../x"})
    assert (forged.status_code, forged.json()["message"]) == (400, "INVALID_CURSOR")


def test_a_diagnosis_code_must_be_icd_10_cm(stack: RunningStack, auth: AuthEmulator) -> None:
    w = care_world(stack, auth)
    path = f"patients/{w.patient_id}/diagnoses"
    for code in ("F43", "F43.10", "Z63.0", "T74.11XA"):
        assert _api(stack, "POST", path, w, "dr", json={"code": code, "description": "d"}).status_code == 201, code
    for code in ("43.1", "F4", "f43.1", "F43.12345", "F43.", "F43-1"):
        assert _api(stack, "POST", path, w, "dr", json={"code": code, "description": "d"}).status_code == 400, code
    change = {"status": "resolved", "onsetDate": "2026-01-02"}
    changed = _api(stack, "PATCH", f"{path}/{w.diagnosis}", w, "dr", json=change)
    assert changed.json()["status"] == "resolved" and changed.json()["code"] == "F43.1"
    listed = _api(stack, "GET", path, w, "pat").json()
    assert [d["code"] for d in listed] == ["F43.1", "F43", "F43.10", "Z63.0", "T74.11XA"]
    assert listed[0]["onsetDate"] == "2026-01-02" and listed[0]["description"] == "PTSD"


def test_every_read_and_write_is_in_the_access_log(stack: RunningStack, auth: AuthEmulator) -> None:
    w = care_world(stack, auth)
    log = f"patients/{w.patient_id}/access-log"
    before = _api(stack, "GET", log, w, "admin").json()["items"]
    written = [(e["actorId"], e["recordKind"], e["action"]) for e in reversed(before)]
    assert written == [
        (w.patient_id, "intake", "create"),
        (w.dr.user_id, "diagnosis", "create"),
        (w.dr.user_id, "treatment_plan", "create"),
        (w.dr.user_id, "session_note", "create"),
        (w.dr.user_id, "session_note", "create"),
        (w.dr.user_id, "session_note", "sign"),
    ]
    read = _api(stack, "GET", f"patients/{w.patient_id}/intake", w, "former_dr")
    request_id = read.headers["X-Request-ID"]
    # the caller, the patient's file with the form and the data key, the care relation, the audit's commit
    assert read.headers["X-Bloom-Firestore-Round-Trips"] == "4"
    latest = _api(stack, "GET", log, w, "pat").json()["items"][0]
    assert latest == {
        "id": latest["id"],
        "actorId": w.former_dr.user_id,
        "role": "therapist",
        "patientId": w.patient_id,
        "recordKind": "intake",
        "recordId": w.patient_id,
        "action": "read",
        "at": latest["at"],
        "requestId": request_id,
        "purpose": None,
    }
    _api(stack, "GET", f"patients/{w.patient_id}/notes", w, "admin")
    entries = _api(stack, "GET", log, w, "pat", params={"limit": 2}).json()
    assert [(e["role"], e["action"], e["recordKind"]) for e in entries["items"]] == [
        ("practice_admin", "read", "session_note"),
        ("practice_admin", "read", "session_note"),
    ]
    assert entries["nextCursor"] is not None


def test_no_plaintext_of_a_record_is_stored_logged_or_sent(stack: RunningStack, auth: AuthEmulator) -> None:
    assert stack.log_path is not None
    offset = stack.log_path.stat().st_size
    w = care_world(stack, auth)
    marker = uuid.uuid4().hex[:10]
    texts = {name: f"zq{name}{marker}" for name in ("concern", "risk", "contact", "dx", "goal", "note", "amend")}
    base = f"patients/{w.patient_id}"
    answers = {
        "presentingConcerns": texts["concern"],
        "risk": {"selfHarm": True, "notes": texts["risk"]},
        "emergencyContact": {"name": texts["contact"], "phone": "+447700900123"},
    }
    assert _api(stack, "PUT", f"{base}/intake", w, "pat", json={"answers": answers}).status_code == 200
    dx = {"code": "F43.1", "description": texts["dx"]}
    assert _api(stack, "POST", f"{base}/diagnoses", w, "dr", json=dx).status_code == 201
    assert _api(stack, "PUT", f"{base}/treatment-plan", w, "dr", json={"goals": [{"text": texts["goal"]}]}).ok
    created = _api(stack, "POST", f"{base}/notes", w, "dr", json={"format": "free", "body": {"text": texts["note"]}})
    note_id = created.json()["id"]
    _api(stack, "POST", f"notes/{note_id}/sign", w, "dr")
    amended = _api(stack, "POST", f"notes/{note_id}/amendments", w, "dr", json={"text": texts["amend"], "reason": "r"})
    assert amended.status_code == 201
    assert _api(stack, "GET", f"notes/{note_id}", w, "dr").json()["amendments"][0]["text"] == texts["amend"]

    stored = every_stored_document()  # the records, their audit, the outbox and its events
    log = stack.log_path.read_bytes()[offset:].decode("utf-8", errors="replace")
    for name, text in texts.items():
        assert text not in stored, name
        assert text not in log, name
    assert "+447700900123" not in stored and marker not in log


def test_a_patient_id_too_long_to_query_finds_nothing(stack: RunningStack, auth: AuthEmulator) -> None:
    """The fuzzer's 500: an admin (in every care team) asking for the notes or the access log of an id Firestore
    refuses to query for (over 1500 bytes) got a query error; no stored record can carry such an id."""
    w = care_world(stack, auth)
    too_long = "a" * 1600
    for path in (f"patients/{too_long}/notes", f"patients/{too_long}/access-log"):
        response = _api(stack, "GET", path, w, "admin")
        assert (response.status_code, response.json()["items"]) == (200, []), path
