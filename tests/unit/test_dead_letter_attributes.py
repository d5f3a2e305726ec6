"""What a replayed dead letter carries: the attributes it was published with, not those of dead-lettering."""

from __future__ import annotations

from infra.dead_letters import dead_letter_topic, original_attributes


def test_replay_keeps_the_event_id_and_drops_what_pubsub_added() -> None:
    attributes = {
        "event_id": "e-1",
        "origin": "outbox",
        "CloudPubSubDeadLetterSourceSubscription": "slack-user-deleted-push",
        "CloudPubSubDeadLetterSourceSubscriptionProject": "bloom",
        "CloudPubSubDeadLetterSourceDeliveryCount": "10",
        "CloudPubSubDeadLetterSourceTopicPublishTime": "2030-01-01T12:00:00Z",
    }
    assert original_attributes(attributes) == {"event_id": "e-1", "origin": "outbox"}


def test_dead_letter_topics_are_named_after_their_topic() -> None:
    assert dead_letter_topic("user.deleted") == "user.deleted.dead-letter"
