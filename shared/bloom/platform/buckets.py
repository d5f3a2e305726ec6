"""The catalogue of Cloud Storage buckets the functions use; the local stack and Terraform create them."""

from __future__ import annotations

from dataclasses import dataclass

from bloom.core.settings import get_settings

_BUCKETS: dict[str, Bucket] = {}


@dataclass(frozen=True)
class Bucket:
    name: str
    description: str

    @property
    def resolved_name(self) -> str:
        """Bucket names are global: deployed ones carry the project's prefix (`BLOOM_BUCKET_PREFIX`)."""
        return f"{get_settings().bucket_prefix}{self.name}"


def declare_bucket(name: str, description: str) -> Bucket:
    bucket = Bucket(name, description)
    _BUCKETS[name] = bucket
    return bucket


def all_buckets() -> list[Bucket]:
    return [_BUCKETS[name] for name in sorted(_BUCKETS)]
