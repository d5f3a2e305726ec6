"""Declared webhooks on the emulators: claimed keys, replays, hand-off to a worker through the outbox and Pub/Sub.

The webhooks here are test-only. They are built with the same `Webhook` the decorator builds, but not
registered, so the real registry (and the manifest derived from it) stays as it is; their registration is
checked in `tests/unit/test_webhooks.py`. Their topics are created in the Pub/Sub emulator by the test.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import flask
import pytest
from google.cloud import pubsub_v1
from pydantic import BaseModel, Field

from bloom.core.errors import BadRequest
from bloom.core.settings import get_settings
from bloom.platform.events import Delivery, handle_delivery
from bloom.platform.http import HttpHandler
from bloom.platform.store.client import db
from bloom.platform.store.outbox import OutboxRepository, publisher
from bloom.platform.store.repository import Filter
from bloom.platform.topics import Topic
from bloom.platform.webhook_verification import HmacSignature, SharedToken
from bloom.platform.webhooks import (
    DELIVERIES_COLLECTION,
    Webhook,
    WebhookDelivery,
    WebhookReceived,
    WebhookRequest,
)
from infra.stack_runner import RunningStack

app = flask.Flask(__name__)
TOKEN_ENV = "ZZ_TEST_WEBHOOK_TOKEN"
SIGNING_ENV = "ZZ_TEST_WEBHOOK_SIGNING_KEY"
TOKEN = "test-token-0123456789"
SIGNING_KEY = "test-signing-key"


class Booking(BaseModel):
    """A provider's event, as a future Simplybook or Zapier webhook might post it."""

    id: str = Field(min_length=1)
    action: Literal["created", "cancelled"]


class BookingSeen(BaseModel):
    booking: str
    handled: int


def booking_key(request: WebhookRequest[Booking]) -> str:
    return f"{request.body.action}:{request.body.id}"


def post(receiver: HttpHandler[Any, Any], body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    with app.test_request_context(
        receiver.template, method="POST", data=body, headers={"Content-Type": "application/json", **headers}
    ):
        response = receiver(flask.request)
    return response.status_code, json.loads(response.get_data())


def deliveries(webhook: str) -> list[dict[str, Any]]:
    docs = db().collection(DELIVERIES_COLLECTION).stream()
    return [doc.to_dict() or {} for doc in docs if doc.id.startswith(f"{webhook}:")]


# --- handed to a worker ---------------------------------------------------------------------------------------------


handled: list[WebhookDelivery[Booking]] = []


@dataclass(frozen=True)
class HandedOff:
    webhook: Webhook[Booking]
    topic: Topic[WebhookReceived]
    subscription: str

    def work(self, delivery: Delivery) -> str:
        """What the registered worker does with a message: `handle_delivery` around the webhook's handler."""
        return handle_delivery("zz_bookings_worker", self.topic.name, WebhookReceived, self.webhook.work, delivery)


@pytest.fixture
def handed_off(stack: RunningStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[HandedOff]:
    """A shared-token webhook handing its work to a worker, its topic, and a pull subscription to read it."""
    handled.clear()
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    suffix = uuid.uuid4().hex[:8]
    topic = Topic(f"webhooks.zz-bookings-{suffix}", WebhookReceived)
    project = get_settings().project_id
    topic_path = publisher().topic_path(project, topic.name)
    publisher().create_topic(name=topic_path)
    subscriber = pubsub_v1.SubscriberClient()
    subscription = subscriber.subscription_path(project, f"zz-bookings-{suffix}")
    subscriber.create_subscription(request={"name": subscription, "topic": topic_path})
    webhook = Webhook(
        "zz_bookings",
        "/api/webhooks/zz-bookings",
        SharedToken(header="X-Booking-Token", credential=TOKEN_ENV),
        Booking,
        handled.append,
        idempotency_key=booking_key,
        topic=topic,
    )
    yield HandedOff(webhook, topic, subscription)
    subscriber.delete_subscription(request={"subscription": subscription})
    publisher().delete_topic(topic=topic_path)
    subscriber.close()


def pull(subscription: str, expected: int) -> list[Delivery]:
    """The messages published to the webhook's topic, as the worker would get them."""
    subscriber = pubsub_v1.SubscriberClient()
    found: list[Delivery] = []
    deadline = time.monotonic() + 30
    while len(found) < expected and time.monotonic() < deadline:
        response = subscriber.pull(request={"subscription": subscription, "max_messages": 10}, timeout=10)
        for received in response.received_messages:
            message = received.message
            found.append(Delivery(message.attributes["event_id"], message.message_id, message.data, {}, None))
        if response.received_messages:
            subscriber.acknowledge(
                request={"subscription": subscription, "ack_ids": [m.ack_id for m in response.received_messages]}
            )
    subscriber.close()
    return found


def test_a_delivery_is_recorded_handed_off_and_its_replay_is_not(handed_off: HandedOff) -> None:
    receiver = handed_off.webhook.receiver()
    body = b'{"id": "b-1", "action": "created", "extra": "ignored"}'

    assert post(receiver, body, {"X-Booking-Token": TOKEN}) == (202, {"duplicate": False})
    [record] = deliveries("zz_bookings")
    assert record["status"] == "queued" and record["expireAt"] > record["receivedAt"]
    assert handled == [], "nothing runs in the request"

    [delivery] = pull(handed_off.subscription, expected=1)
    assert handed_off.work(delivery) == "done"
    [done] = handled
    assert (done.body, done.key) == (Booking(id="b-1", action="created"), "created:b-1")
    assert handed_off.work(delivery) == "duplicate"

    # The provider retries: same key, so nothing is queued again. A new event for the same booking is new work.
    assert post(receiver, body, {"X-Booking-Token": TOKEN}) == (200, {"duplicate": True})
    assert post(receiver, b'{"id": "b-1", "action": "cancelled"}', {"X-Booking-Token": TOKEN})[0] == 202
    queued = OutboxRepository().select([Filter("topic", "==", handed_off.topic.name)])
    assert len(queued) == 2
    [cancelled] = pull(handed_off.subscription, expected=1)
    assert handed_off.work(cancelled) == "done"
    assert [(d.body.action, d.key) for d in handled] == [("created", "created:b-1"), ("cancelled", "cancelled:b-1")]
    assert len(deliveries("zz_bookings")) == 2


def test_bad_tokens_and_bodies_are_refused_before_anything_is_recorded(
    handed_off: HandedOff, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver = handed_off.webhook.receiver()
    body = b'{"id": "b-2", "action": "created"}'
    status, error = post(receiver, body, {})
    assert (status, error["message"]) == (401, "WEBHOOK_TOKEN_MISSING")
    for token in ("wrong", TOKEN + "x", TOKEN[:-1]):
        status, error = post(receiver, body, {"X-Booking-Token": token})
        assert (status, error["message"]) == (401, "WEBHOOK_TOKEN_MISMATCH")
    status, error = post(receiver, b'{"id": "", "action": "moved"}', {"X-Booking-Token": TOKEN})
    assert (status, len(error["message"])) == (400, 2)
    monkeypatch.delenv(TOKEN_ENV)
    status, error = post(receiver, body, {"X-Booking-Token": TOKEN})
    assert (status, error["message"]) == (401, "WEBHOOK_TOKEN_MISMATCH")
    assert deliveries("zz_bookings") == []
    assert OutboxRepository().select() == []


def test_hostile_bodies_with_a_valid_token_get_400_before_anything_is_recorded(handed_off: HandedOff) -> None:
    """Deep nesting is refused before the parser sees it (it would overflow its recursion: 500), and so are
    unpaired surrogates (nothing could store or log them) and bodies that are not JSON."""
    receiver = handed_off.webhook.receiver()
    hostile = {
        b'{"id": "b-3", "action": "created", "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}": (
            "body must not be nested more than 32 levels deep"
        ),
        b'{"id": "\\ud800", "action": "created"}': "body must be valid Unicode text (no unpaired surrogates)",
        b'{"id": "b-3", "action": ': "body must be valid JSON",
    }
    for body, problem in hostile.items():
        status, error = post(receiver, body, {"X-Booking-Token": TOKEN})
        assert (status, error["message"]) == (400, [problem])
    assert deliveries("zz_bookings") == []
    assert OutboxRepository().select() == []


# --- answered in the request ----------------------------------------------------------------------------------------


SIGNATURE = HmacSignature(
    header="X-Signature", credential=SIGNING_ENV, encoding="base64", timestamp_header="X-Timestamp", tolerance_s=300
)


def signed(body: bytes, at: float | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() if at is None else at))
    return {"X-Signature": SIGNATURE.sign(SIGNING_KEY, body, timestamp), "X-Timestamp": timestamp}


class Counter:
    """An inline handler that counts its runs; it fails on demand, or re-enters while it runs."""

    def __init__(self) -> None:
        self.runs = 0
        self.fail = False
        self.reenter: HttpHandler[Any, Any] | None = None
        self.reentered: tuple[int, Any] | None = None

    def __call__(self, delivery: WebhookDelivery[Booking]) -> BookingSeen:
        self.runs += 1
        if self.fail:
            raise BadRequest("BOOKING REFUSED")
        if self.reenter is not None:
            body = json.dumps({"id": delivery.body.id, "action": delivery.body.action}).encode()
            self.reentered = post(self.reenter, body, signed(body))
        return BookingSeen(booking=delivery.body.id, handled=self.runs)


@pytest.fixture
def inline(stack: RunningStack, monkeypatch: pytest.MonkeyPatch) -> tuple[Counter, HttpHandler[Any, Any]]:
    monkeypatch.setenv(SIGNING_ENV, SIGNING_KEY)
    counter = Counter()
    webhook = Webhook(
        "zz_inline",
        "/api/webhooks/zz-inline",
        SIGNATURE,
        Booking,
        counter,
        idempotency_key=booking_key,
        topic=None,
        response=BookingSeen,
    )
    return counter, webhook.receiver()


def test_an_inline_delivery_is_answered_once_and_its_replay_gets_the_same_answer(
    inline: tuple[Counter, HttpHandler[Any, Any]],
) -> None:
    counter, receiver = inline
    body = b'{"id": "b-3", "action": "created"}'
    assert post(receiver, body, signed(body)) == (201, {"booking": "b-3", "handled": 1})
    assert post(receiver, body, signed(body)) == (200, {"booking": "b-3", "handled": 1})
    assert counter.runs == 1
    [record] = deliveries("zz_inline")
    assert record["status"] == "done" and json.loads(record["answer"]) == {"booking": "b-3", "handled": 1}


def test_a_failed_inline_run_releases_its_key_for_the_retry(inline: tuple[Counter, HttpHandler[Any, Any]]) -> None:
    counter, receiver = inline
    body = b'{"id": "b-4", "action": "created"}'
    counter.fail = True
    assert post(receiver, body, signed(body))[1]["message"] == "BOOKING REFUSED"
    assert deliveries("zz_inline") == []
    counter.fail = False
    assert post(receiver, body, signed(body)) == (201, {"booking": "b-4", "handled": 2})


def test_a_replay_while_the_first_is_running_is_a_conflict(inline: tuple[Counter, HttpHandler[Any, Any]]) -> None:
    counter, receiver = inline
    counter.reenter = receiver
    body = b'{"id": "b-5", "action": "created"}'
    assert post(receiver, body, signed(body))[0] == 201
    assert counter.reentered is not None
    assert (counter.reentered[0], counter.reentered[1]["message"]) == (409, "WEBHOOK_DELIVERY_IN_PROGRESS")
    assert counter.runs == 1


def test_a_stale_or_forged_signature_is_refused(inline: tuple[Counter, HttpHandler[Any, Any]]) -> None:
    counter, receiver = inline
    body = b'{"id": "b-6", "action": "created"}'
    stale = signed(body, at=time.time() - 301)
    assert post(receiver, body, stale)[1]["message"] == "WEBHOOK_SIGNATURE_MISMATCH"
    for huge in ("9" * 400, "9" * 5000):  # beyond a float, beyond Python's int parsing: a 500 before
        assert post(receiver, body, signed(body) | {"X-Timestamp": huge})[1]["message"] == "WEBHOOK_SIGNATURE_MISMATCH"
        huge_signed = {"X-Signature": SIGNATURE.sign(SIGNING_KEY, body, huge), "X-Timestamp": huge}
        assert post(receiver, body, huge_signed)[1]["message"] == "WEBHOOK_SIGNATURE_MISMATCH"
    forged = {**signed(body), "X-Timestamp": str(int(time.time()) + 1)}
    assert post(receiver, body, forged)[1]["message"] == "WEBHOOK_SIGNATURE_MISMATCH"
    assert post(receiver, body, {"X-Signature": signed(body)["X-Signature"]})[1]["message"] == (
        "WEBHOOK_SIGNATURE_MISSING"
    )
    assert counter.runs == 0 and deliveries("zz_inline") == []


def test_a_key_is_new_again_after_the_replay_window(stack: RunningStack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SIGNING_ENV, SIGNING_KEY)
    counter = Counter()
    receiver = Webhook(
        "zz_window",
        "/api/webhooks/zz-window",
        SIGNATURE,
        Booking,
        counter,
        idempotency_key=booking_key,
        topic=None,
        response=BookingSeen,
        replay_window=timedelta(0),  # expired as soon as recorded (Firestore's TTL deletes it later)
    ).receiver()
    body = b'{"id": "b-7", "action": "created"}'
    assert post(receiver, body, signed(body)) == (201, {"booking": "b-7", "handled": 1})
    assert post(receiver, body, signed(body)) == (201, {"booking": "b-7", "handled": 2})
