"""Messaging: `POST practice/threads/{id}/messages` (moderated and audited; the model pass is off on the bench
stack, so this is the deterministic pass and the transaction) and `GET practice/threads` for a therapist with 10
threads and one with 1,000 (one page query either way: the round trips must not grow with the threads)."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from typing import Any

from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.bench_scenarios import Probe
from infra.stack_runner import RunningStack


def _threads_for(uid: str, count: int) -> None:
    """`count` care threads in which `uid` takes part, written straight to Firestore (setup, not measured)."""
    from bloom.core.time import utcnow
    from bloom.messaging.models import ThreadRecord
    from bloom.messaging.repository import ThreadsRepository
    from bloom.platform.store.client import db

    repository, now = ThreadsRepository(), utcnow()
    for start in range(0, count, 400):
        batch = db().batch()
        for index in range(start, min(count, start + 400)):
            thread = ThreadRecord(
                id=f"care-bench-{uid}-{index}",
                kind="care",
                participant_ids=[f"user-{uid}", f"patient-{index}"],
                participant_uids=[uid, f"patient-uid-{index}"],
                created_at=now,
                last_message_at=now - timedelta(seconds=index),
                last_message_preview=f"message {index}",
            )
            batch.set(repository.ref(thread.id), repository.to_doc(thread))
        batch.commit()


def _user(auth: AuthEmulator, email: str) -> AuthAccount:
    from bloom.users.repository import UsersRepository
    from bloom.users.schemas import UserRecord

    account = auth.sign_up(email)
    UsersRepository().save(account.uid, UserRecord(id=f"user-{account.uid}", email=email, name="Bench"))
    return account


def scenarios(stack: RunningStack) -> list[Probe]:
    os.environ.update(stack.env)
    from bloom.core.settings import get_settings

    get_settings.cache_clear()
    from bloom.core.time import utcnow
    from bloom.messaging.models import ThreadRecord
    from bloom.messaging.repository import ThreadsRepository

    auth = AuthEmulator(stack.auth, stack.project)
    patient, other = _user(auth, "bench-patient@example.com"), _user(auth, "bench-carer@example.com")
    now = utcnow()
    thread = ThreadRecord(
        id="care-bench-send",
        kind="care",
        participant_ids=[f"user-{patient.uid}", f"user-{other.uid}"],
        participant_uids=[patient.uid, other.uid],
        created_at=now,
        last_message_at=now,
    )
    ThreadsRepository().save(thread.id, thread)
    few, many = _user(auth, "bench-few@example.com"), _user(auth, "bench-many@example.com")
    _threads_for(few.uid, 10)
    _threads_for(many.uid, 1000)

    def message() -> dict[str, Any]:
        return {"text": "See you on Tuesday, thank you", "clientMessageId": uuid.uuid4().hex}

    return [
        Probe(
            "POST /v1/practice/threads/{id}/messages (model pass off)",
            "POST",
            f"/v1/practice/threads/{thread.id}/messages",
            patient.headers,
            body_factory=message,
        ),
        Probe("GET /v1/practice/threads (10 threads)", "GET", "/v1/practice/threads", few.headers),
        Probe("GET /v1/practice/threads (1,000 threads)", "GET", "/v1/practice/threads", many.headers),
    ]
