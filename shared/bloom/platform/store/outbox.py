"""The transactional outbox: events written with the change, published after commit, swept if left behind."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bloom.core.logging import get_logger
from bloom.core.models import CamelModel
from bloom.core.settings import get_settings
from bloom.core.time import utcnow
from bloom.platform.store.client import count_round_trip, db
from bloom.platform.store.indexes import composite_index, ttl_field
from bloom.platform.store.repository import Filter, Repository
from bloom.platform.store.request_checks import settle_checks

if TYPE_CHECKING:
    from google.cloud.firestore import DocumentReference
    from google.cloud.pubsub_v1 import PublisherClient


COLLECTION = "outbox"
RETENTION = timedelta(days=7)
UNPUBLISHED_BY_AGE = composite_index(COLLECTION, ("publishedAt", "ASCENDING"), ("createdAt", "ASCENDING"))
ttl_field(COLLECTION, "expireAt")
_log = get_logger(__name__)
_publisher: PublisherClient | None = None
_publisher_lock = threading.Lock()


class OutboxEntry(CamelModel):
    id: str
    topic: str
    data: str
    created_at: datetime
    published_at: datetime | None
    expire_at: datetime


def ref(entry_id: str) -> DocumentReference:
    return db().collection(COLLECTION).document(entry_id)


def to_doc(entry: OutboxEntry) -> dict[str, Any]:
    return entry.model_dump(by_alias=True)


def publisher() -> PublisherClient:
    global _publisher
    with _publisher_lock:
        if _publisher is None:
            from google.cloud import pubsub_v1

            _publisher = pubsub_v1.PublisherClient()
        return _publisher


def publish_message(topic: str, data: bytes, attributes: dict[str, str]) -> str:
    """Publish one message and wait for the server's message id."""
    settle_checks()  # nothing is published for a request refused by its rate limit
    client = publisher()
    future = client.publish(client.topic_path(get_settings().project_id, topic), data, **attributes)
    message_id: str = future.result(timeout=get_settings().outbox_publish_timeout_s)
    return message_id


def publish_entries(entries: list[OutboxEntry]) -> int:
    """Publish entries and mark them published; a failure leaves them for the sweeper. Returns how many went out."""
    published: list[OutboxEntry] = []
    for entry in entries:
        try:
            publish_message(entry.topic, entry.data.encode(), {"event_id": entry.id})
        except Exception:
            _log.warning(
                "outbox publish failed; left for the sweeper",
                extra={"event_id": entry.id, "topic": entry.topic},
                exc_info=True,
            )
            break
        published.append(entry)
    if published:
        batch = db().batch()
        now = utcnow()
        for entry in published:
            batch.update(ref(entry.id), {"publishedAt": now})
        count_round_trip()
        batch.commit()
    return len(published)


class OutboxRepository(Repository[OutboxEntry]):
    collection_name = COLLECTION
    model = OutboxEntry


def pending(older_than: timedelta, limit: int) -> list[OutboxEntry]:
    rows = OutboxRepository().select(
        [Filter("publishedAt", "==", None), Filter("createdAt", "<", utcnow() - older_than)],
        order_by=[("createdAt", "ASCENDING")],
        limit=limit,
        index=UNPUBLISHED_BY_AGE,
    )
    return [entry for _, entry in rows]


def sweep(batch_size: int = 200) -> int:
    """Publish events whose request died between commit and publish. Subscribers dedupe, so a repeat is harmless.

    Only events older than the grace period are swept, so a request still publishing its own is left alone.
    """
    entries = pending(timedelta(seconds=get_settings().outbox_sweep_after_s), batch_size)
    # How long the oldest event has waited (0 when none): the "outbox age" alert reads it (terraform/monitoring.tf).
    oldest_age_s = round((utcnow() - entries[0].created_at).total_seconds()) if entries else 0
    sent = publish_entries(entries) if entries else 0
    _log.info("outbox swept", extra={"pending": len(entries), "published": sent, "oldest_age_s": oldest_age_s})
    return sent
