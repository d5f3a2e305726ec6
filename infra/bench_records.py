"""The records part of `make bench`, on a real local stack (a local KEK keyset, the Firestore emulator):
- `POST patients/{id}/notes` (a sealed note, its audit, the file's last-record time, in one transaction),
  `GET notes/{id}` and `GET patients/{id}/notes` (20 a page): Firestore round trips (`X-Bloom-Firestore-Round-Trips`)
  and latency, with encryption, each read's audit committed before the answer;
- key rotation: data keys re-wrapped per second by `infra.records_keys.rotate_keys` (a page per transaction).
Nothing is asserted.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from functools import partial
from pathlib import Path
from typing import Any

import requests

from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.bench_report import print_table
from infra.stack_runner import RunningStack, start_stack, stop_stack

CALLS = 50
KEYS = 1000
KEY_BATCH = 100


def _care_pair(stack: RunningStack) -> tuple[AuthAccount, str]:
    """A therapist (second factor) actively assigned to a patient, written straight to Firestore; (the therapist's
    account, the patient's id)."""
    from bloom.core.time import utcnow
    from bloom.practice.models import AssignmentRecord
    from bloom.practice.repository import AssignmentsRepository
    from bloom.users.repository import UsersRepository
    from bloom.users.schemas import UserRecord

    auth = AuthEmulator(stack.auth, stack.project)
    dr, patient = auth.sign_up("bench-dr@example.com"), auth.sign_up("bench-patient@example.com")
    users = UsersRepository()
    users.save(dr.uid, UserRecord(id=f"user-{dr.uid}", email=dr.email, name="Dr", therapist_profile_id="bench-dr"))
    users.save(patient.uid, UserRecord(id=f"user-{patient.uid}", email=patient.email, name="Pat"))
    assignment = AssignmentRecord(
        id="bench-assignment",
        therapist_id="bench-dr",
        therapist_user_id=f"user-{dr.uid}",
        therapist_uid=dr.uid,
        patient_id=f"user-{patient.uid}",
        patient_uid=patient.uid,
        status="active",
        requested_at=utcnow(),
        started_at=utcnow(),
    )
    AssignmentsRepository().save(assignment.id, assignment)
    return auth.second_factor_token(dr), f"user-{patient.uid}"


Sample = tuple[float, str, Any]  # (milliseconds, round trips, the answer's JSON)


def _timed(session: requests.Session, method: str, url: str, headers: dict[str, str], body: Any) -> Sample:
    started = time.perf_counter()
    response = session.request(method, url, headers=headers, json=body, timeout=30)
    elapsed = (time.perf_counter() - started) * 1000
    if not response.ok:
        raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:200]}")
    return elapsed, response.headers.get("X-Bloom-Firestore-Round-Trips", "?"), response.json()


def _row(label: str, samples: list[Sample]) -> list[str]:
    timings = sorted(sample[0] for sample in samples)
    trips = "/".join(sorted({sample[1] for sample in samples}))
    p95 = timings[max(int(len(timings) * 0.95) - 1, 0)]
    return [label, trips, f"{statistics.median(timings):.1f}", f"{p95:.1f}"]


def _notes(stack: RunningStack) -> list[list[str]]:
    dr, patient_id = _care_pair(stack)
    session = requests.Session()
    base = f"{stack.api}/v1/practice"
    body = {"format": "soap", "body": {"subjective": "slept badly", "assessment": "stable", "plan": "weekly"}}
    writes = [_timed(session, "POST", f"{base}/patients/{patient_id}/notes", dr.headers, body) for _ in range(CALLS)]
    note_id = writes[-1][2]["id"]
    reads = [_timed(session, "GET", f"{base}/notes/{note_id}", dr.headers, None) for _ in range(CALLS)]
    pages = [_timed(session, "GET", f"{base}/patients/{patient_id}/notes", dr.headers, None) for _ in range(CALLS)]
    return [
        _row("POST patients/{id}/notes (seal, audit, commit)", writes),
        _row("GET notes/{id} (open, audit committed first)", reads),
        _row("GET patients/{id}/notes (20 opened, 20 audits)", pages),
    ]


def _rotation(work_dir: Path) -> list[str]:
    from bloom.platform import crypto
    from bloom.platform.crypto.kek import rotate_local_keyset
    from bloom.platform.crypto.store import KeysWork
    from infra.records_keys import rotate_keys

    for start in range(0, KEYS, KEY_BATCH):
        owners = [f"bench-owner-{index:05d}" for index in range(start, start + KEY_BATCH)]
        KeysWork.run_in_transaction(partial(crypto.sealers_for, owner_ids=owners))
    rotate_local_keyset(Path(os.environ["BLOOM_LOCAL_KEYSET"]))
    started = time.perf_counter()
    rotation = rotate_keys(work_dir / f"rotate-{uuid.uuid4().hex}.json", advance=lambda _: None)
    elapsed = time.perf_counter() - started
    per_second = f"{rotation.rewrapped / elapsed:.0f}"
    return ["rotate-keys (100 a transaction)", f"{rotation.rewrapped}", f"{elapsed:.2f}", per_second]


def records_section() -> None:
    with tempfile.TemporaryDirectory() as work_dir:
        process, stack = start_stack(Path(work_dir))
        try:
            os.environ.update(stack.env)
            from bloom.core.settings import get_settings

            get_settings.cache_clear()
            notes = _notes(stack)
            rotation = _rotation(Path(work_dir))
        finally:
            stop_stack(process)
    print_table(
        f"Clinical records on the local stack ({CALLS} calls each, sequential, AES-256-GCM with a local KEK)",
        ["request", "firestore round trips", "p50 ms", "p95 ms"],
        notes,
        ["a read's audit is one more write, committed before the answer (the last round trip)"],
    )
    print_table(
        f"KEK rotation ({KEYS} data keys, local keyset KEK)",
        ["figure", "keys re-wrapped", "seconds", "keys/s"],
        [rotation],
        ["with Cloud KMS each unwrap and wrap is a KMS call: expect twice the KMS latency per key"],
    )
