"""Pub/Sub-triggered functions: parse every delivery format, dedupe by event id, apply the retry rule.

Formats: a CloudEvent object (what functions-framework hands a deployed `cloud_event` function), CloudEvents
over HTTP in binary mode (`ce-*` headers) or structured mode, and a plain Pub/Sub push body (local emulator).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from bloom.core.errors import PermanentEventError
from bloom.core.logging import get_logger, log_context
from bloom.core.models import CamelModel
from bloom.core.time import utcnow
from bloom.platform.store.indexes import ttl_field

PayloadT = TypeVar("PayloadT", bound=BaseModel)
_log = get_logger(__name__)
PROCESSED_COLLECTION = "processedEvents"
CLAIM_LEASE = timedelta(minutes=10)
PROCESSED_RETENTION = timedelta(days=14)
ttl_field(PROCESSED_COLLECTION, "expireAt")


@dataclass(frozen=True)
class Delivery:
    """One Pub/Sub message as delivered, whatever the envelope."""

    event_id: str
    message_id: str
    data: bytes
    attributes: dict[str, str]
    published_at: str | None


@dataclass(frozen=True)
class Event(Generic[PayloadT]):
    id: str
    topic: str
    payload: PayloadT
    published_at: str | None


class MalformedDelivery(ValueError):
    """The envelope itself is unreadable: nothing to retry."""


def _from_message(message: Mapping[str, Any], fallback_id: str = "") -> Delivery:
    try:
        data = base64.b64decode(message.get("data") or "", validate=True)
    except (binascii.Error, TypeError) as exc:
        raise MalformedDelivery("message data is not base64") from exc
    attributes = {str(k): str(v) for k, v in (message.get("attributes") or {}).items()}
    message_id = str(message.get("messageId") or message.get("message_id") or fallback_id)
    if not message_id:
        raise MalformedDelivery("message has no id")
    return Delivery(
        event_id=attributes.get("event_id") or message_id,
        message_id=message_id,
        data=data,
        attributes=attributes,
        published_at=message.get("publishTime") or message.get("publish_time"),
    )


def delivery_from_cloud_event(data: Any, event_id: str) -> Delivery:
    """A CloudEvent's data is the push body: `{"message": {...}, "subscription": ...}`."""
    if not isinstance(data, Mapping) or not isinstance(data.get("message"), Mapping):
        raise MalformedDelivery("CloudEvent data has no Pub/Sub message")
    return _from_message(data["message"], fallback_id=event_id)


def delivery_from_http(headers: Mapping[str, str], body: bytes) -> Delivery:
    """Read a binary-mode CloudEvent, a structured-mode CloudEvent or a raw Pub/Sub push body."""
    try:
        parsed = json.loads(body or b"null")
    except ValueError as exc:
        raise MalformedDelivery("body is not JSON") from exc
    lower = {k.lower(): v for k, v in headers.items()}
    if "ce-id" in lower:
        return delivery_from_cloud_event(parsed, lower["ce-id"])
    if not isinstance(parsed, Mapping):
        raise MalformedDelivery("body is not a JSON object")
    if "specversion" in parsed:
        return delivery_from_cloud_event(parsed.get("data"), str(parsed.get("id") or ""))
    if isinstance(parsed.get("message"), Mapping):
        return _from_message(parsed["message"])
    raise MalformedDelivery("unrecognised delivery envelope")


class ProcessedEvent(CamelModel):
    status: str  # processing | done | failed
    lease_until: datetime
    expire_at: datetime


def _claim(function_name: str, event_id: str) -> bool:
    """Claim an event for this function; False if it was already handled or is being handled elsewhere."""
    from google.cloud import firestore

    from bloom.platform.store.client import count_round_trip, db

    ref = db().collection(PROCESSED_COLLECTION).document(f"{function_name}:{event_id}")

    @firestore.transactional
    def claim(transaction: firestore.Transaction) -> bool:
        count_round_trip(3)
        snapshot = ref.get(transaction=transaction)
        now = utcnow()
        if snapshot.exists:
            current = ProcessedEvent.model_validate(snapshot.to_dict())
            if current.status != "processing" or current.lease_until > now:
                return False
        record = ProcessedEvent(status="processing", lease_until=now + CLAIM_LEASE, expire_at=now + PROCESSED_RETENTION)
        transaction.set(ref, record.model_dump(by_alias=True))
        return True

    result: bool = claim(db().transaction())
    return result


def _finish(function_name: str, event_id: str, status: str | None) -> None:
    """Record the outcome; `None` releases the claim so a redelivery runs the handler again."""
    from bloom.platform.store.client import count_round_trip, db

    ref = db().collection(PROCESSED_COLLECTION).document(f"{function_name}:{event_id}")
    count_round_trip()
    if status is None:
        ref.delete()
    else:
        ref.update({"status": status})


def handle_delivery(
    function_name: str,
    topic: str,
    payload_model: type[PayloadT],
    handler: Callable[[Event[PayloadT]], None],
    delivery: Delivery,
) -> str:
    """Run the handler at most once per event id. Returns the outcome; raises to ask for redelivery."""
    with log_context(function=function_name, event_id=delivery.event_id, topic=topic):
        try:
            payload = payload_model.model_validate_json(delivery.data)
        except ValidationError as exc:
            _log.error("event payload rejected; acknowledged", extra={"errors": exc.error_count()})
            return "rejected"
        if not _claim(function_name, delivery.event_id):
            _log.info("duplicate event skipped")
            return "duplicate"
        event = Event(id=delivery.event_id, topic=topic, payload=payload, published_at=delivery.published_at)
        try:
            handler(event)
        except PermanentEventError as exc:
            _finish(function_name, delivery.event_id, "failed")
            _log.error("event failed permanently; acknowledged", extra={"reason": str(exc)})
            return "failed"
        except Exception:
            _finish(function_name, delivery.event_id, None)
            _log.warning("event failed; Pub/Sub will redeliver", exc_info=True)
            raise
        _finish(function_name, delivery.event_id, "done")
        _log.info("event handled")
        return "done"
