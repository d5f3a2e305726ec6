"""Positive markers for the event pipeline, to wait on instead of sleeping: a subscriber's recorded outcome, the
events not yet finished by every subscriber, and the events recorded at all."""

from __future__ import annotations

from bloom.platform.events import PROCESSED_COLLECTION
from bloom.platform.registry import registered
from bloom.platform.store.client import db
from bloom.platform.store.outbox import OutboxEntry, OutboxRepository
from infra.manifest import load_everything

SETTLED = frozenset({"done", "failed"})
WEBHOOKS = "webhooks."  # the topics webhook receivers hand their deliveries to workers on


def outcome(function: str, event_id: str) -> str | None:
    """What `function` recorded for the event: processing, done, failed, or None (never claimed, or released
    for a redelivery after a transient failure)."""
    stored = db().collection(PROCESSED_COLLECTION).document(f"{function}:{event_id}").get().to_dict()
    status: str | None = stored["status"] if stored else None
    return status


def subscribers_of(topic: str) -> list[str]:
    load_everything()
    return [spec.name for spec in registered().values() if spec.topic is not None and spec.topic.name == topic]


def _entries(topic_prefix: str) -> list[OutboxEntry]:
    return [entry for _, entry in OutboxRepository().select() if entry.topic.startswith(topic_prefix)]


def unsettled_events(topic_prefix: str = "") -> list[tuple[str, str, str | None]]:
    """(topic, subscriber, outcome) of every outbox event (on topics starting with `topic_prefix`) not yet finished
    by a subscriber of its topic ("unpublished" for one still in the outbox): empty when nothing the test started
    there is still on its way, so what it reads now is final. Wait on it with
    `eventually(lambda: unsettled_events(WEBHOOKS), lambda left: not left)`; a timeout shows what is left."""
    left: list[tuple[str, str, str | None]] = []
    for entry in _entries(topic_prefix):
        if entry.published_at is None:
            left.append((entry.topic, "unpublished", None))
            continue
        for function in subscribers_of(entry.topic):
            status = outcome(function, entry.id)
            if status not in SETTLED:
                left.append((entry.topic, function, status))
    return left


def recorded_events(topic_prefix: str) -> list[OutboxEntry]:
    """The events the outbox holds on topics starting with `topic_prefix`: none on `WEBHOOKS` after a refused
    delivery means it handed nothing to a worker, so nothing it did can change anything later."""
    return _entries(topic_prefix)
