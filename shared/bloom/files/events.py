"""The uploads bucket and its storage notification (published by Cloud Storage, or the local stack)."""

from __future__ import annotations

from bloom.files.schemas import StorageObjectFinalized
from bloom.platform.buckets import Bucket, declare_bucket
from bloom.platform.registry import Capability
from bloom.platform.topics import declare_topic

UPLOAD_OBJECT_FINALIZED = declare_topic(
    "storage.uploads-finalized",
    StorageObjectFinalized,
    "An object landed in the uploads bucket under pending/ (Cloud Storage OBJECT_FINALIZE, JSON_API_V1 payload)",
)

UPLOADS_BUCKET = declare_bucket(
    Bucket(
        name="uploads",
        env_var="UPLOADS_BUCKET",
        capability=Capability.UPLOADS_BUCKET,
        cors_methods=("PUT", "GET"),  # the browser PUTs to the signed URL and GETs downloads
        cors_headers=("Content-Type", "x-goog-content-length-range", "Content-Disposition"),
        notify_topic=UPLOAD_OBJECT_FINALIZED,
        notify_prefix="pending/",
        # Unchecked bytes: never finalized (no notification, a failed check whose delete failed) go after a day.
        expire_prefix="pending/",
        expire_after_days=1,
    )
)
