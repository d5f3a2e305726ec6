"""Cloud Storage buckets, declared once in code: Terraform creates each from `terraform/functions.json`.

A declaration says what Terraform needs and nothing else: the bucket (private, uniform access, public access
prevented), the variable that tells functions its name, which capability grants object access, the CORS methods
the frontend's origins may use on signed URLs, a lifecycle rule, and an optional storage notification (object
finalized under a prefix → a topic). The local stack creates the same bucket in the storage emulator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bloom.platform.registry import Capability
from bloom.platform.topics import Topic


@dataclass(frozen=True)
class Bucket:
    name: str  # the bucket is "<project>-bloom-<name>"
    env_var: str  # every function reads the bucket's name from this variable
    capability: Capability  # functions declaring it may read, write and delete its objects
    cors_methods: tuple[str, ...] = ()
    cors_headers: tuple[str, ...] = ()
    notify_topic: Topic[Any] | None = None  # OBJECT_FINALIZE notifications (JSON_API_V1) for objects under:
    notify_prefix: str = ""
    expire_prefix: str | None = None  # objects under it are deleted `expire_after_days` after creation
    expire_after_days: int = 1


_BUCKETS: dict[str, Bucket] = {}


def declare_bucket(bucket: Bucket) -> Bucket:
    existing = _BUCKETS.get(bucket.name)
    if existing is not None and existing != bucket:
        raise ValueError(f"bucket {bucket.name} declared twice")
    _BUCKETS[bucket.name] = bucket
    return bucket


def all_buckets() -> list[Bucket]:
    return [_BUCKETS[name] for name in sorted(_BUCKETS)]
