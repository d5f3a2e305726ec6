"""S3-compatible object storage (boto3): AWS S3, MinIO or any store speaking the S3 API (`STORAGE_BACKEND=s3`).

Presigned URLs use Signature V4 with path-style addressing (what MinIO and most self-hosted stores expect).
"""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from bloom.core.settings import Settings
from bloom.files.storage import SignedRequest, StoredObject
from bloom.platform.store.request_checks import settle_checks

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class S3Store:
    def __init__(self, settings: Settings) -> None:
        if not settings.s3_bucket:
            raise RuntimeError("STORAGE_BACKEND=s3 needs S3_BUCKET")
        self._bucket_name = settings.s3_bucket
        self._settings = settings

    @property
    def bucket(self) -> str:
        return self._bucket_name

    @cached_property
    def _client(self) -> S3Client:
        import boto3
        from botocore.config import Config

        secret = self._settings.s3_secret_access_key
        client: S3Client = boto3.client(
            "s3",
            endpoint_url=self._settings.s3_endpoint_url,
            region_name=self._settings.s3_region,
            aws_access_key_id=self._settings.s3_access_key_id,
            aws_secret_access_key=secret.get_secret_value() if secret is not None else None,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
        )
        return client

    def signed_put(self, name: str, content_type: str, size: int, ttl: timedelta) -> SignedRequest:
        url = self._client.generate_presigned_url(
            "put_object",
            Params={"Bucket": self._bucket_name, "Key": name, "ContentType": content_type, "ContentLength": size},
            ExpiresIn=int(ttl.total_seconds()),
        )
        return SignedRequest(url=url, headers={"Content-Type": content_type})

    def signed_get(self, name: str, content_type: str, disposition: str, ttl: timedelta) -> str:
        return self._client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self._bucket_name,
                "Key": name,
                "ResponseContentType": content_type,
                "ResponseContentDisposition": disposition,
            },
            ExpiresIn=int(ttl.total_seconds()),
        )

    def stat(self, name: str) -> StoredObject | None:
        from botocore.exceptions import ClientError

        try:
            head = self._client.head_object(Bucket=self._bucket_name, Key=name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return StoredObject(size=int(head["ContentLength"]), content_type=head.get("ContentType"))

    def read(self, name: str) -> bytes:
        data: bytes = self._client.get_object(Bucket=self._bucket_name, Key=name)["Body"].read()
        return data

    def write(self, name: str, data: bytes, content_type: str) -> None:
        settle_checks()
        self._client.put_object(Bucket=self._bucket_name, Key=name, Body=data, ContentType=content_type)

    def promote(self, source: str, target: str) -> None:
        settle_checks()
        self._client.copy_object(
            Bucket=self._bucket_name, Key=target, CopySource={"Bucket": self._bucket_name, "Key": source}
        )
        self.delete(source)

    def delete(self, name: str) -> None:
        settle_checks()
        self._client.delete_object(Bucket=self._bucket_name, Key=name)
