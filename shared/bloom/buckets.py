"""The catalogue of Cloud Storage buckets the functions use; the local stack and Terraform create them."""

from __future__ import annotations

from dataclasses import dataclass

_BUCKETS: dict[str, Bucket] = {}


@dataclass(frozen=True)
class Bucket:
    name: str
    description: str


def declare_bucket(name: str, description: str) -> Bucket:
    bucket = Bucket(name, description)
    _BUCKETS[name] = bucket
    return bucket


def all_buckets() -> list[Bucket]:
    return [_BUCKETS[name] for name in sorted(_BUCKETS)]
