"""Transactions on the Firestore emulator: collisions and contention come out as typed errors."""

from __future__ import annotations

import threading

import pytest

from bloom.health.repository import HealthWork, HeartbeatRecord, HeartbeatsRepository
from bloom.platform.store.unit_of_work import DuplicateDocument, TransactionContention
from infra.stack_runner import RunningStack


def test_creating_an_existing_document_is_a_duplicate(stack: RunningStack) -> None:
    record = HeartbeatRecord(source="x", count=1, last_event_id="e")
    HealthWork.run_in_transaction(lambda uow: uow.heartbeats.create("x", record))
    with pytest.raises(DuplicateDocument):
        HealthWork.run_in_transaction(lambda uow: uow.heartbeats.create("x", record))


def test_contention_outlasting_every_attempt_is_a_503_not_a_crash(stack: RunningStack) -> None:
    """Two transactions read the same document, then both write it: one must lose, with a typed error."""
    repository = HeartbeatsRepository()
    repository.save("hot", HeartbeatRecord(source="hot", count=0, last_event_id=""))
    both_read = threading.Barrier(2, timeout=30)
    outcomes: list[str] = []

    def bump(uow: HealthWork) -> None:
        current = uow.heartbeats.get("hot")
        assert current is not None
        both_read.wait()
        uow.heartbeats.increment("hot", "e")

    def run() -> None:
        try:
            HealthWork.run_in_transaction(bump, max_attempts=1)
            outcomes.append("committed")
        except TransactionContention as exc:
            assert exc.status_code == 503
            outcomes.append("contention")

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # One loses; on a saturated machine the emulator may abort both (each lock wait outlasts the other): either way
    # every loser gets the typed 503, and exactly the committed increments are stored.
    assert len(outcomes) == 2 and "contention" in outcomes and set(outcomes) <= {"committed", "contention"}
    stored = repository.get("hot")
    assert stored is not None and stored.count == outcomes.count("committed")
