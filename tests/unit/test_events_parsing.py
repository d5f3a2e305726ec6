"""Every delivery envelope yields the same message."""

from __future__ import annotations

import base64
import json

import pytest

from bloom.platform.events import MalformedDelivery, delivery_from_http

MESSAGE = {
    "data": base64.b64encode(b'{"source": "x"}').decode(),
    "attributes": {"event_id": "evt-1"},
    "messageId": "m-1",
    "publishTime": "2026-11-21T00:00:00Z",
}
PUSH = {"message": MESSAGE, "subscription": "projects/p/subscriptions/s"}


def test_raw_push_body() -> None:
    delivery = delivery_from_http({"Content-Type": "application/json"}, json.dumps(PUSH).encode())
    assert (delivery.event_id, delivery.message_id, delivery.data) == ("evt-1", "m-1", b'{"source": "x"}')


def test_binary_mode_cloud_event() -> None:
    headers = {"ce-id": "m-1", "ce-type": "google.cloud.pubsub.topic.v1.messagePublished", "ce-specversion": "1.0"}
    assert delivery_from_http(headers, json.dumps(PUSH).encode()).event_id == "evt-1"


def test_structured_mode_cloud_event() -> None:
    body = {
        "specversion": "1.0",
        "id": "m-1",
        "type": "google.cloud.pubsub.topic.v1.messagePublished",
        "source": "//pubsub.googleapis.com/projects/p/topics/t",
        "data": PUSH,
    }
    assert delivery_from_http({"Content-Type": "application/cloudevents+json"}, json.dumps(body).encode()).data


def test_message_id_is_the_event_id_without_our_attribute() -> None:
    message = {**MESSAGE, "attributes": {}}
    assert delivery_from_http({}, json.dumps({"message": message}).encode()).event_id == "m-1"


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"foo": 1}', b'{"message": {"data": "***", "messageId": "1"}}'])
def test_malformed_envelopes_are_rejected(body: bytes) -> None:
    with pytest.raises(MalformedDelivery):
        delivery_from_http({}, body)
