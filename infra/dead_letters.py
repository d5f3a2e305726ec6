"""Dead letters: messages Pub/Sub stopped delivering after a subscription's maximum delivery attempts.

Every topic T has a dead-letter topic `T.dead-letter`, and on it one pull subscription of the same name where the
messages wait (7 days) for someone to look. Every push subscription sends what it gives up on there (Terraform in
production, `infra.stack` locally). `python -m infra.cli dead-letters list` shows them without consuming them;
`replay T`, once the cause is fixed, publishes each again to T with its attributes (its `event_id` above all, so
the subscribers that already handled it skip it) minus those Pub/Sub adds when dead-lettering, and acknowledges it
only after the publish is confirmed. A message without `event_id` (a Cloud Scheduler run) runs its job again,
which jobs allow.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from google.cloud.pubsub_v1 import SubscriberClient
    from google.pubsub_v1 import ReceivedMessage

SUFFIX = ".dead-letter"
# Attributes Pub/Sub adds to a dead-lettered message (source subscription, delivery count, publish time).
PUBSUB_PREFIX = "CloudPubSubDeadLetter"
SOURCE_SUBSCRIPTION = "CloudPubSubDeadLetterSourceSubscription"
DELIVERY_COUNT = "CloudPubSubDeadLetterSourceDeliveryCount"
PULL_BATCH = 100
PULL_TIMEOUT_S = 10.0


def dead_letter_topic(topic: str) -> str:
    return f"{topic}{SUFFIX}"


def original_attributes(attributes: dict[str, str]) -> dict[str, str]:
    """The attributes the message was published with: those Pub/Sub added when dead-lettering it removed."""
    return {key: value for key, value in attributes.items() if not key.startswith(PUBSUB_PREFIX)}


@dataclass(frozen=True)
class DeadLetter:
    """One dead-lettered message, as `list` shows it (never its data: it may name a user)."""

    topic: str
    message_id: str
    event_id: str | None
    subscription: str | None  # the push subscription that gave up, i.e. which subscriber failed
    attempts: str | None
    published_at: str


def _describe(topic: str, received: ReceivedMessage) -> DeadLetter:
    message = received.message
    attributes = dict(message.attributes)
    return DeadLetter(
        topic=topic,
        message_id=message.message_id,
        event_id=attributes.get("event_id"),
        subscription=attributes.get(SOURCE_SUBSCRIPTION),
        attempts=attributes.get(DELIVERY_COUNT),
        published_at=message.publish_time.isoformat(),
    )


def _pull(client: SubscriberClient, subscription: str) -> list[ReceivedMessage]:
    # The emulator holds a pull that finds nothing open for most of its timeout (9 s of 10), which every `list` and
    # `replay` ends with; it keeps every message in memory, so there it is asked to answer at once. Real Pub/Sub
    # may answer an immediate pull empty while messages wait, so it is given the time (and the flag, deprecated
    # for that reason, stays off).
    on_emulator = "PUBSUB_EMULATOR_HOST" in os.environ
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The return_immediately flag is deprecated", DeprecationWarning)
        response = client.pull(
            request={"subscription": subscription, "max_messages": PULL_BATCH, "return_immediately": on_emulator},
            timeout=PULL_TIMEOUT_S,
        )
    return list(response.received_messages)


def _subscription(client: SubscriberClient, project: str, topic: str) -> str:
    path: str = client.subscription_path(project, dead_letter_topic(topic))
    return path


def peek(project: str, topic: str) -> list[DeadLetter]:
    """The messages waiting in `topic`'s dead letters; each is released again at once, nothing is consumed."""
    from google.cloud import pubsub_v1

    client = pubsub_v1.SubscriberClient()
    subscription = _subscription(client, project, topic)
    found: list[DeadLetter] = []
    leased: list[str] = []
    try:
        while batch := _pull(client, subscription):
            found.extend(_describe(topic, received) for received in batch)
            leased.extend(received.ack_id for received in batch)
    finally:
        if leased:
            client.modify_ack_deadline(
                request={"subscription": subscription, "ack_ids": leased, "ack_deadline_seconds": 0}
            )
    return found


def replay(project: str, topic: str) -> list[DeadLetter]:
    """Publish every dead letter of `topic` to `topic` again, then acknowledge it; returns what was replayed.

    Only messages dead-lettered before the replay started are taken, so one that fails again during the replay
    waits for the next one instead of going round in a loop.
    """
    from google.cloud import pubsub_v1

    subscriber, publisher = pubsub_v1.SubscriberClient(), pubsub_v1.PublisherClient()
    subscription = _subscription(subscriber, project, topic)
    destination = publisher.topic_path(project, topic)
    started = datetime.now(UTC)
    replayed: list[DeadLetter] = []
    later: list[str] = []
    try:
        while batch := _pull(subscriber, subscription):
            waiting = [received for received in batch if received.message.publish_time < started]
            later.extend(received.ack_id for received in batch if received.message.publish_time >= started)
            for received in waiting:
                attributes = original_attributes(dict(received.message.attributes))
                publisher.publish(destination, received.message.data, **attributes).result(timeout=PULL_TIMEOUT_S)
                subscriber.acknowledge(request={"subscription": subscription, "ack_ids": [received.ack_id]})
                replayed.append(_describe(topic, received))
            if not waiting:
                break
    finally:
        if later:
            subscriber.modify_ack_deadline(
                request={"subscription": subscription, "ack_ids": later, "ack_deadline_seconds": 0}
            )
    return replayed
