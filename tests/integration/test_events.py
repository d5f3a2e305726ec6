"""The event pipeline through the real emulators: outbox → Pub/Sub → push → subscriber, exactly-once effects."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
import requests

from bloom.core.errors import PermanentEventError
from bloom.health.events import HEARTBEAT, Heartbeat
from bloom.health.service import heartbeat_count, send_heartbeat
from bloom.platform.events import Delivery, Event, handle_delivery
from bloom.platform.store.outbox import OutboxRepository, publish_message
from infra.jobs import fire_job
from infra.manifest import load_everything
from infra.stack_runner import ROOT, RunningStack
from tests.support.wait import eventually

load_everything()


def test_an_emitted_event_reaches_its_subscriber(stack: RunningStack) -> None:
    send_heartbeat("outbox")
    assert eventually(lambda: heartbeat_count("outbox"), lambda n: n >= 1) == 1
    # the stack's own heartbeat job may record one too, at the turn of a minute: only this test's counts
    entries = [entry for _, entry in OutboxRepository().select() if json.loads(entry.data)["source"] == "outbox"]
    assert len(entries) == 1 and entries[0].published_at is not None


def test_the_same_event_delivered_twice_has_one_effect(stack: RunningStack) -> None:
    data = Heartbeat(source="twice").model_dump_json().encode()
    event_id = str(uuid.uuid4())
    publish_message(HEARTBEAT.name, data, {"event_id": event_id})
    publish_message(HEARTBEAT.name, data, {"event_id": event_id})
    eventually(lambda: heartbeat_count("twice"), lambda n: n >= 1)
    push = {
        "message": {"data": base64.b64encode(data).decode(), "messageId": "m-9", "attributes": {"event_id": event_id}}
    }
    structured = {
        "specversion": "1.0",
        "id": "m-9",
        "source": "//pubsub",
        "data": push,
        "type": "google.cloud.pubsub.topic.v1.messagePublished",
    }
    url = stack.api.removesuffix("/api") + "/_/events/record_heartbeat"
    binary = requests.post(url, json=push, headers={"ce-id": "m-9", "ce-specversion": "1.0"}, timeout=10)
    structured_reply = requests.post(
        url, data=json.dumps(structured), headers={"Content-Type": "application/cloudevents+json"}, timeout=10
    )
    assert (binary.text, structured_reply.text) == ("duplicate", "duplicate")
    assert heartbeat_count("twice") == 1


def test_an_invalid_payload_is_acknowledged_without_effect(stack: RunningStack) -> None:
    push = {"message": {"data": base64.b64encode(b'{"wrong": 1}').decode(), "messageId": "bad-1"}}
    reply = requests.post(stack.api.removesuffix("/api") + "/_/events/record_heartbeat", json=push, timeout=10)
    assert (reply.status_code, reply.text) == (200, "rejected")


def test_a_crash_between_commit_and_publish_loses_no_event(stack: RunningStack) -> None:
    """A process commits its change, cannot reach Pub/Sub and dies; the sweeper publishes the event later."""
    env = {
        **os.environ,
        "PUBSUB_EMULATOR_HOST": "127.0.0.1:9",
        "BLOOM_OUTBOX_PUBLISH_TIMEOUT_S": "2",
        "PYTHONPATH": f"{ROOT / 'shared'}:{ROOT}",
    }
    script = "import os; from bloom.health.service import send_heartbeat; send_heartbeat('crash'); os._exit(3)"
    result = subprocess.run([sys.executable, "-c", script], env=env, timeout=60, check=False)
    assert result.returncode == 3
    [(_, entry)] = OutboxRepository().select()
    assert entry.published_at is None and heartbeat_count("crash") == 0
    # The sweeper leaves events younger than its grace period (1 s in tests) alone: this one was recorded earlier.
    OutboxRepository().change(entry.id, created_at=entry.created_at - timedelta(seconds=2))
    fire_job("sweep_outbox")
    eventually(lambda: heartbeat_count("crash"), lambda n: n >= 1, timeout_s=40)
    assert heartbeat_count("crash") == 1
    assert OutboxRepository().get(entry.id) is not None


def _delivery(event_id: str) -> Delivery:
    return Delivery(
        event_id=event_id, message_id=event_id, data=b'{"source": "retry"}', attributes={}, published_at=None
    )


def test_a_transient_failure_is_retried_and_a_permanent_one_is_not(stack: RunningStack) -> None:
    calls: list[str] = []

    def flaky(event: Event[Heartbeat]) -> None:
        calls.append(event.id)
        if len(calls) == 1:
            raise ConnectionError("downstream timed out")

    with pytest.raises(ConnectionError):
        handle_delivery("test_flaky", HEARTBEAT.name, Heartbeat, flaky, _delivery("e-1"))
    assert handle_delivery("test_flaky", HEARTBEAT.name, Heartbeat, flaky, _delivery("e-1")) == "done"
    assert handle_delivery("test_flaky", HEARTBEAT.name, Heartbeat, flaky, _delivery("e-1")) == "duplicate"
    assert calls == ["e-1", "e-1"]

    def broken(_: Event[Heartbeat]) -> None:
        raise PermanentEventError("cannot ever work")

    assert handle_delivery("test_broken", HEARTBEAT.name, Heartbeat, broken, _delivery("e-2")) == "failed"
    assert handle_delivery("test_broken", HEARTBEAT.name, Heartbeat, broken, _delivery("e-2")) == "duplicate"
