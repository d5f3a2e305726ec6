"""Firing scheduled jobs and publishing events against the local stack's Pub/Sub emulator."""

from __future__ import annotations

import uuid

from pydantic import ValidationError

from bloom.core.time import utcnow
from bloom.platform.registry import registered
from bloom.platform.store.outbox import publish_message
from bloom.platform.topics import ScheduledRun, all_topics


def fire_job(name: str) -> str:
    """Publish to a job's topic what Cloud Scheduler would; returns the message id."""
    spec = registered().get(name)
    if spec is None or spec.kind != "scheduled" or spec.topic is None:
        raise KeyError(f"no scheduled job named {name!r}")
    run = ScheduledRun(job=name, scheduled_at=utcnow().isoformat())
    return publish_message(spec.topic.name, run.model_dump_json().encode(), {"event_id": str(uuid.uuid4())})


def publish_event(topic_name: str, payload_json: str) -> str:
    """Publish a payload (validated against the topic's model) to a topic; returns the message id."""
    topic = all_topics().get(topic_name)
    if topic is None:
        raise KeyError(f"no topic named {topic_name!r}")
    try:
        payload = topic.payload.model_validate_json(payload_json)
    except ValidationError as exc:
        raise ValueError(f"payload does not fit {topic.payload.__name__}: {exc}") from exc
    return publish_message(topic.name, payload.model_dump_json(by_alias=True).encode(), {"event_id": str(uuid.uuid4())})
