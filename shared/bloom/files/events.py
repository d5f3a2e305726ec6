"""The storage notification the files area reacts to (published by Cloud Storage, or the local stack)."""

from __future__ import annotations

from bloom.files.schemas import StorageObjectFinalized
from bloom.platform.topics import declare_topic

UPLOAD_OBJECT_FINALIZED = declare_topic(
    "storage.uploads-finalized",
    StorageObjectFinalized,
    "An object landed in the uploads bucket under pending/ (Cloud Storage OBJECT_FINALIZE, JSON_API_V1 payload)",
)
