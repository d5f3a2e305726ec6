"""Transactions on the Firestore emulator: collisions and contention come out as typed errors."""

from __future__ import annotations

import threading

import pytest

from bloom.health.repository import HealthWork, HeartbeatRecord, HeartbeatsRepository
from bloom.platform.store.unit_of_work import DuplicateDocument, StaleDocument, TransactionContention
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


def test_an_optimistic_write_of_a_document_changed_since_it_was_read_is_stale(stack: RunningStack) -> None:
    repository = HeartbeatsRepository()
    repository.save("seen", HeartbeatRecord(source="seen", count=0, last_event_id=""))
    with pytest.raises(StaleDocument), HealthWork() as uow:
        fetched = uow.fetch([(uow.heartbeats, "seen")])
        repository.save("seen", HeartbeatRecord(source="seen", count=5, last_event_id="other"))  # another writer
        version = fetched.version(uow.heartbeats, "seen")
        assert version is not None
        uow.update_if_unchanged(uow.heartbeats.ref("seen"), {"count": 1}, version)
    stored = repository.get("seen")
    assert stored is not None and stored.count == 5


def test_optimistic_writers_of_one_document_all_commit_by_retrying(stack: RunningStack) -> None:
    """Sixteen read-then-write increments that all read the same version first: every lost race reads again and
    retries, so no increment is lost and none fails."""
    repository = HeartbeatsRepository()
    repository.save("hot", HeartbeatRecord(source="hot", count=0, last_event_id=""))
    writers = 16
    all_read = threading.Barrier(writers, timeout=60)
    first_reads: set[int] = set()
    errors: list[BaseException] = []

    def bump(uow: HealthWork) -> None:
        fetched = uow.fetch([(uow.heartbeats, "hot")])
        current, version = fetched.get(uow.heartbeats, "hot"), fetched.version(uow.heartbeats, "hot")
        assert current is not None and version is not None
        if threading.get_ident() not in first_reads:
            first_reads.add(threading.get_ident())
            all_read.wait()
        uow.update_if_unchanged(uow.heartbeats.ref("hot"), {"count": current.count + 1}, version)

    def run() -> None:
        try:
            HealthWork.run_optimistically(bump, max_attempts=40)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    stored = repository.get("hot")
    assert errors == [] and stored is not None and stored.count == writers
