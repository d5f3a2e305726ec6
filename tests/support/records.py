"""Helpers for tests of clinical records and their encryption."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bloom.platform.registry import job_topic_name
from bloom.platform.store.outbox import publish_message
from bloom.platform.topics import ScheduledRun
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.accounts import call
from tests.support.events import outcome
from tests.support.practice import P, Therapist, active_assignment, therapist, user_id
from tests.support.role_matrix import cast
from tests.support.wait import eventually


def _keyset(path: Path) -> Any:  # a Tink protobuf `Keyset` (Tink ships no type stubs)
    from tink import json_proto_keyset_format, proto_keyset_format, secret_key_access
    from tink.proto import tink_pb2

    handle = json_proto_keyset_format.parse(path.read_text(), secret_key_access.TOKEN)
    return tink_pb2.Keyset.FromString(proto_keyset_format.serialize(handle, secret_key_access.TOKEN))


def keyset_key_ids(path: Path) -> list[int]:
    """The key ids of the local KEK keyset, the primary last."""
    keyset = _keyset(path)
    ids = [key.key_id for key in keyset.key if key.key_id != keyset.primary_key_id]
    return [*ids, keyset.primary_key_id]


def retire_all_but_primary(path: Path) -> None:
    """Remove every key but the primary from the local KEK keyset: what was wrapped under an older key no longer
    unwraps (proves a re-wrap happened)."""
    from tink import json_proto_keyset_format, proto_keyset_format, secret_key_access

    keyset = _keyset(path)
    primary = [key for key in keyset.key if key.key_id == keyset.primary_key_id]
    del keyset.key[:]
    keyset.key.extend(primary)
    handle = proto_keyset_format.parse(keyset.SerializeToString(), secret_key_access.TOKEN)
    path.write_text(json_proto_keyset_format.serialize(handle, secret_key_access.TOKEN))


def every_stored_document() -> str:
    """Every document of the Firestore emulator (sub-collections included), as one text to search for markers."""
    from google.cloud.firestore import CollectionReference

    from bloom.platform.store.client import db

    texts: list[str] = []
    pending: list[CollectionReference] = list(db().collections())
    while pending:
        collection = pending.pop()
        for snapshot in collection.stream():
            texts.append(f"{snapshot.reference.path} {snapshot.to_dict()!r}")
            pending.extend(snapshot.reference.collections())
    return "\n".join(texts)


@dataclass(frozen=True)
class CareWorld:
    """A patient (`pat`) and everyone around their records: their assigned therapist (`dr`), a therapist whose
    assignment with them ended (`former_dr`), another therapist (`other_dr`), an outsider, a practice admin, a
    therapist and an admin without a second factor; and records: an intake form, a diagnosis, a plan, a draft
    note (not shared) and a signed note shared with the patient."""

    api: str
    callers: dict[str, AuthAccount | None]
    patient_id: str
    dr: Therapist
    former_dr: Therapist
    assignment: str  # pat's active assignment with dr
    diagnosis: str
    draft_note: str
    shared_note: str


def note(stack: RunningStack, dr: Therapist, patient_id: str, *, shared: bool, text: str = "note") -> dict[str, Any]:
    body = {"format": "free", "body": {"text": text}, "shared": shared}
    created: dict[str, Any] = call(stack, "POST", f"{P}/patients/{patient_id}/notes", dr.account, json=body)
    return created


def care_world(stack: RunningStack, auth: AuthEmulator) -> CareWorld:
    people = cast(stack, auth, "records")
    admin, dr, pat = people.admin, people.dr, people.pat
    former = therapist(stack, auth, admin, "dr.former@example.com")
    patient_id = user_id(pat)
    ended = active_assignment(stack, admin, former, pat)
    assignment = active_assignment(stack, admin, dr, pat)
    base = f"{P}/patients/{patient_id}"
    call(stack, "PUT", f"{base}/intake", pat, json={"answers": {"presentingConcerns": "sleep"}})
    diagnosis = call(stack, "POST", f"{base}/diagnoses", dr.account, json={"code": "F43.1", "description": "PTSD"})
    call(stack, "PUT", f"{base}/treatment-plan", dr.account, json={"goals": [{"text": "sleep through"}]})
    draft = note(stack, dr, patient_id, shared=False, text="draft")
    shared = note(stack, dr, patient_id, shared=True, text="shared")
    call(stack, "POST", f"{P}/notes/{shared['id']}/sign", dr.account)
    call(stack, "POST", f"{P}/assignments/{ended}/end", admin)
    callers = people.callers(former_dr=former.account)
    return CareWorld(stack.api, callers, patient_id, dr, former, assignment, diagnosis["id"], draft["id"], shared["id"])


def run_job_at(name: str, at: datetime) -> None:
    """Fire a scheduled job as the scheduler does, for a run scheduled at `at` (its clock), and wait until done."""
    event_id = str(uuid.uuid4())
    run = ScheduledRun(job=name, scheduled_at=at.isoformat())
    publish_message(job_topic_name(name), run.model_dump_json().encode(), {"event_id": event_id})
    eventually(lambda: outcome(name, event_id), lambda status: status == "done")
