"""The local stack's storage notifications: what Cloud Storage → Pub/Sub does in production, for the emulator.

The storage emulator sends no notifications, so the stack watches the uploads bucket instead: every half second
it lists the objects under `pending/` and publishes, once per object generation, the message a GCS notification
configuration with `payload_format = JSON_API_V1` and `event_types = [OBJECT_FINALIZE]` publishes (the object's
resource as data; eventType, bucketId, objectId, objectGeneration as attributes) to the topic Terraform points
the bucket's notification at. The finalize subscriber cannot tell the two apart.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from collections.abc import Callable
from typing import Any

import requests

POLL_S = 0.5
PREFIX = "pending/"
Publish = Callable[[bytes, dict[str, str]], None]


def create_bucket(emulator: str, project: str, bucket: str) -> None:
    """Create the uploads bucket in the emulator (it starts empty, in memory)."""
    response = requests.post(f"{emulator}/storage/v1/b", params={"project": project}, json={"name": bucket}, timeout=10)
    if response.status_code not in (200, 409):
        response.raise_for_status()


def finalize_message(item: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """The Pub/Sub message Cloud Storage publishes for an OBJECT_FINALIZE of `item` (a JSON API object)."""
    attributes = {
        "eventType": "OBJECT_FINALIZE",
        "payloadFormat": "JSON_API_V1",
        "bucketId": str(item["bucket"]),
        "objectId": str(item["name"]),
        "objectGeneration": str(item.get("generation", "")),
        "notificationConfig": "local-stack",
    }
    return json.dumps(item).encode(), attributes


class StorageNotifier(threading.Thread):
    def __init__(self, emulator: str, bucket: str, publish: Publish) -> None:
        super().__init__(name="storage-notifier", daemon=True)
        self.stopped = threading.Event()
        self.emulator, self.bucket, self.publish = emulator, bucket, publish
        self.seen: set[tuple[str, str]] = set()

    def tick(self) -> int:
        """Publish a notification for every object generation not seen yet; returns how many."""
        response = requests.get(f"{self.emulator}/storage/v1/b/{self.bucket}/o", params={"prefix": PREFIX}, timeout=5)
        response.raise_for_status()
        published = 0
        for item in response.json().get("items", []):
            key = (str(item["name"]), str(item.get("generation") or item.get("md5Hash") or item.get("updated")))
            if key in self.seen:
                continue
            data, attributes = finalize_message(item)
            self.publish(data, attributes)
            self.seen.add(key)
            published += 1
        return published

    def run(self) -> None:
        while not self.stopped.wait(POLL_S):
            try:
                self.tick()
            except Exception as exc:  # the watcher keeps going; the next tick tries again
                with contextlib.suppress(Exception):
                    print(f"storage notifier: {type(exc).__name__}", file=sys.stderr)


def start_notifier(emulator: str, project: str, bucket: str, topic: str) -> StorageNotifier:
    from google.cloud import pubsub_v1

    publisher = pubsub_v1.PublisherClient()
    topic_path = publisher.topic_path(project, topic)

    def publish(data: bytes, attributes: dict[str, str]) -> None:
        publisher.publish(topic_path, data, **attributes).result(timeout=10)

    create_bucket(emulator, project, bucket)
    notifier = StorageNotifier(emulator, bucket, publish)
    notifier.start()
    return notifier
