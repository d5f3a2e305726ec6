"""The sweeper reports how long the oldest unpublished event waited: the "outbox age" alert reads that log field."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import pytest

from bloom.core.time import utcnow
from bloom.health.events import HEARTBEAT, Heartbeat
from bloom.platform.store.outbox import RETENTION, OutboxEntry, ref, sweep, to_doc
from infra.stack_runner import RunningStack

SWEPT = "outbox swept"


def _swept(caplog: pytest.LogCaptureFixture) -> logging.LogRecord:
    [record] = [record for record in caplog.records if record.getMessage() == SWEPT]
    return record


def test_the_sweep_logs_the_age_of_the_oldest_waiting_event(
    stack: RunningStack, caplog: pytest.LogCaptureFixture
) -> None:
    created = utcnow() - timedelta(minutes=10)
    entry = OutboxEntry(
        id=str(uuid.uuid4()),
        topic=HEARTBEAT.name,
        data=Heartbeat(source="stuck").model_dump_json(),
        created_at=created,
        published_at=None,
        expire_at=created + RETENTION,
    )
    ref(entry.id).set(to_doc(entry))

    with caplog.at_level(logging.INFO):
        assert sweep() == 1
    assert 600 <= _swept(caplog).__dict__["oldest_age_s"] < 660

    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert sweep() == 0
    assert _swept(caplog).__dict__["oldest_age_s"] == 0
