"""The security rules (`firestore.rules`, loaded by the stack's emulator) with real client credentials: the
Firestore REST API with an Auth-emulator ID token as Bearer, as the web SDK sends it. Server code (the Admin SDK)
bypasses them and sets up the documents."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import requests

from bloom.core.time import utcnow
from bloom.notifications import inbox
from bloom.platform.store.client import db
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.firestore_rest import get, list_documents, url, write

THREAD = "care-rules"


def timestamp(ahead: timedelta = timedelta(0)) -> dict[str, str]:
    return {"timestampValue": (utcnow() + ahead).isoformat().replace("+00:00", "Z")}


@pytest.fixture
def people(stack: RunningStack, auth: AuthEmulator) -> tuple[AuthAccount, AuthAccount, AuthAccount]:
    a, b, outsider = (auth.sign_up(f"{name}@example.com") for name in ("alex", "blake", "casey"))
    thread = db().collection("threads").document(THREAD)
    thread.set({"id": THREAD, "kind": "care", "participantIds": ["ua", "ub"], "participantUids": [a.uid, b.uid]})
    thread.collection("messages").document("m1").set({"id": "m1", "text": "hello", "senderId": "ua"})
    db().collection("messageAudit").document("r1").set({"id": "r1", "threadId": THREAD, "action": "send"})
    db().collection("messageOriginals").document("m1").set({"id": "m1", "text": "hello"})
    # what opening the thread writes: each participant may see the other's presence
    db().collection("presenceViewers").document(a.uid).set({"viewerUids": [b.uid]})
    db().collection("presenceViewers").document(b.uid).set({"viewerUids": [a.uid]})
    return a, b, outsider


def test_participants_read_their_thread_and_messages_and_outsiders_do_not(
    stack: RunningStack, people: tuple[AuthAccount, AuthAccount, AuthAccount]
) -> None:
    a, b, outsider = people
    for participant in (a, b):
        assert get(stack, participant, f"threads/{THREAD}") == 200
        assert get(stack, participant, f"threads/{THREAD}/messages/m1") == 200
        assert get(stack, participant, f"threads/{THREAD}/messages") == 200
    for stranger in (outsider, None):
        assert get(stack, stranger, f"threads/{THREAD}") == 403
        assert get(stack, stranger, f"threads/{THREAD}/messages/m1") == 403
        assert get(stack, stranger, f"threads/{THREAD}/messages") == 403


def test_nobody_writes_threads_or_messages_directly(
    stack: RunningStack, people: tuple[AuthAccount, AuthAccount, AuthAccount]
) -> None:
    a, _, _ = people
    assert write(stack, a, f"threads/{THREAD}/messages/m1", {"text": {"stringValue": "changed"}}) == 403
    assert write(stack, a, f"threads/{THREAD}/messages/m2", {"text": {"stringValue": "unmoderated"}}) == 403
    assert write(stack, a, f"threads/{THREAD}", {"participantUids": {"nullValue": None}}) == 403
    assert (
        requests.delete(url(stack, f"threads/{THREAD}/messages/m1"), headers=a.headers, timeout=10).status_code == 403
    )
    assert (
        db().collection("threads").document(THREAD).collection("messages").document("m1").get().get("text") == "hello"
    )


def test_typing_markers_are_each_participants_own(
    stack: RunningStack, people: tuple[AuthAccount, AuthAccount, AuthAccount]
) -> None:
    a, b, outsider = people
    assert write(stack, a, f"threads/{THREAD}/typing/{a.uid}", {"until": timestamp()}) == 200
    assert get(stack, b, f"threads/{THREAD}/typing/{a.uid}") == 200
    assert write(stack, a, f"threads/{THREAD}/typing/{b.uid}", {"until": timestamp()}) == 403
    assert write(stack, outsider, f"threads/{THREAD}/typing/{outsider.uid}", {"until": timestamp()}) == 403
    assert get(stack, outsider, f"threads/{THREAD}/typing/{a.uid}") == 403
    extra = {"until": timestamp(), "text": {"stringValue": "smuggled"}}
    assert write(stack, a, f"threads/{THREAD}/typing/{a.uid}", extra) == 403


def test_a_typing_marker_is_a_few_seconds_ahead_at_most(
    stack: RunningStack, people: tuple[AuthAccount, AuthAccount, AuthAccount]
) -> None:
    a, _, _ = people
    marker = f"threads/{THREAD}/typing/{a.uid}"
    assert write(stack, a, marker, {"until": timestamp(timedelta(seconds=5))}) == 200
    assert write(stack, a, marker, {"until": timestamp(timedelta(seconds=30))}) == 403
    assert write(stack, a, marker, {"until": timestamp(timedelta(days=365))}) == 403
    assert write(stack, a, marker, {"until": {"stringValue": "forever"}}) == 403


def test_nobody_types_in_a_read_only_thread(
    stack: RunningStack, people: tuple[AuthAccount, AuthAccount, AuthAccount]
) -> None:
    a, _, _ = people
    db().collection("threads").document(THREAD).update({"readOnly": True})  # the assignment ended
    assert write(stack, a, f"threads/{THREAD}/typing/{a.uid}", {"until": timestamp()}) == 403


def test_presence_is_each_users_own_and_seen_only_by_who_shares_a_thread(
    stack: RunningStack, people: tuple[AuthAccount, AuthAccount, AuthAccount]
) -> None:
    a, b, outsider = people
    fields = {"state": {"stringValue": "available"}, "lastSeen": timestamp()}
    assert write(stack, a, f"presence/{a.uid}", fields) == 200
    assert write(stack, outsider, f"presence/{outsider.uid}", fields) == 200
    assert get(stack, a, f"presence/{a.uid}") == 200
    assert get(stack, b, f"presence/{a.uid}") == 200  # a thread partner
    assert get(stack, outsider, f"presence/{a.uid}") == 403  # a signed-in stranger
    assert get(stack, None, f"presence/{a.uid}") == 403
    assert get(stack, a, f"presence/{outsider.uid}") == 403
    for anyone in (a, b, outsider):
        assert get(stack, anyone, "presence") == 403  # nobody lists every uid's online state
        assert list_documents(stack, anyone, "presence") == 403
        assert get(stack, anyone, f"presenceViewers/{a.uid}") == 403
    assert write(stack, a, f"presence/{b.uid}", fields) == 403
    assert write(stack, a, f"presence/{a.uid}", {**fields, "state": {"stringValue": "invisible-spy"}}) == 403
    assert write(stack, a, f"presenceViewers/{a.uid}", {"viewerUids": {"nullValue": None}}) == 403


def test_the_audit_and_everything_else_are_closed(
    stack: RunningStack, people: tuple[AuthAccount, AuthAccount, AuthAccount]
) -> None:
    a, _, _ = people
    for path in ("messageAudit/r1", "messageAudit", "messageOriginals/m1", "users", "authAudit"):
        assert get(stack, a, path) == 403, path
    assert write(stack, a, "messageAudit/r2", {"action": {"stringValue": "forged"}}) == 403


# ---------------------------------------------------------------- in-app notifications


def mark_read(stack: RunningStack, account: AuthAccount, path: str, fields: dict[str, Any]) -> int:
    """Update only the fields given (PATCH with a mask, as `updateDoc` does) of an existing document."""
    mask = "&".join(f"updateMask.fieldPaths={name}" for name in fields)
    target = f"{url(stack, path)}?{mask}&currentDocument.exists=true"
    return requests.patch(target, json={"fields": fields}, headers=account.headers, timeout=10).status_code


def collection_group(stack: RunningStack, account: AuthAccount, collection: str) -> int:
    """A query over every collection of that name, whoever's (`collectionGroup`)."""
    query = {"structuredQuery": {"from": [{"collectionId": collection, "allDescendants": True}]}}
    base = f"{stack.firestore}/v1/projects/{stack.project}/databases/(default)/documents:runQuery"
    return requests.post(base, json=query, headers=account.headers, timeout=10).status_code


def test_notifications_are_read_by_their_owner_alone(
    stack: RunningStack, people: tuple[AuthAccount, AuthAccount, AuthAccount]
) -> None:
    a, b, _ = people
    assert inbox.notify_once(a.uid, "reminder-24h-ap1", inbox.appointment_reminder("ap1", timedelta(hours=24)))
    mine = f"users/{a.uid}/notifications/reminder-24h-ap1"
    assert get(stack, a, mine) == 200
    assert get(stack, a, f"users/{a.uid}/notifications") == 200  # the owner's listener on their inbox
    for stranger in (b, None):
        assert get(stack, stranger, mine) == 403
        assert get(stack, stranger, f"users/{a.uid}/notifications") == 403
    assert collection_group(stack, b, "notifications") == 403  # nobody lists everyone's
    assert get(stack, a, f"users/{a.uid}") == 403  # the user document stays closed


def test_the_owner_only_marks_a_notification_read_once_and_nobody_writes_one(
    stack: RunningStack, people: tuple[AuthAccount, AuthAccount, AuthAccount]
) -> None:
    a, b, _ = people
    inbox.notify_once(a.uid, "reminder-1h-ap1", inbox.appointment_reminder("ap1", timedelta(hours=1)))
    mine = f"users/{a.uid}/notifications/reminder-1h-ap1"
    assert mark_read(stack, b, mine, {"readAt": timestamp(-timedelta(seconds=1))}) == 403
    assert mark_read(stack, a, mine, {"readAt": timestamp(timedelta(days=1))}) == 403  # not ahead of now
    assert mark_read(stack, a, mine, {"readAt": {"stringValue": "now"}}) == 403
    assert mark_read(stack, a, mine, {"title": {"stringValue": "Your therapist's note"}}) == 403
    assert mark_read(stack, a, mine, {"readAt": timestamp(-timedelta(seconds=1))}) == 200
    assert mark_read(stack, a, mine, {"readAt": timestamp(-timedelta(seconds=1))}) == 403  # read once
    assert write(stack, a, f"users/{a.uid}/notifications/forged", {"title": {"stringValue": "Pay here"}}) == 403
    assert requests.delete(url(stack, mine), headers=a.headers, timeout=10).status_code == 403
    stored = db().document(mine).get().to_dict()
    assert stored is not None and stored["title"] == "Appointment reminder" and stored["readAt"] is not None


RECORD_COLLECTIONS = (
    "patientFiles",
    "intakeForms",
    "diagnoses",
    "treatmentPlans",
    "treatmentPlanVersions",
    "sessionNotes",
    "accessAudit",
    "recordExports",
    "dataKeys",
    "searchKeys",
)


def test_clinical_records_and_keys_are_closed_even_to_their_patient(stack: RunningStack, auth: AuthEmulator) -> None:
    patient = auth.sign_up("records.patient@example.com")
    for collection in RECORD_COLLECTIONS:
        db().collection(collection).document(patient.uid).set({"patientId": patient.uid, "ownerId": patient.uid})
    for collection in RECORD_COLLECTIONS:
        path = f"{collection}/{patient.uid}"
        assert get(stack, patient, path) == 403, path
        assert get(stack, None, path) == 403, path
        assert list_documents(stack, patient, collection) == 403, collection
        assert write(stack, patient, path, {"patientId": {"stringValue": patient.uid}}) == 403, path
        assert write(stack, patient, f"{collection}/new", {"patientId": {"stringValue": patient.uid}}) == 403, path
