"""The configured object store (`STORAGE_BACKEND`), created once per process; its SDK is imported only then."""

from __future__ import annotations

from functools import cache

from bloom.files.storage import ObjectStore


@cache
def object_store() -> ObjectStore:
    """The configured backend, created once per process (its SDK is imported only then)."""
    from bloom.core.settings import get_settings

    settings = get_settings()
    if settings.storage_backend == "s3":
        from bloom.files.s3 import S3Store

        return S3Store(settings)
    from bloom.files.gcs import GcsStore

    return GcsStore(settings)
