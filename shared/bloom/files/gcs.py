"""Cloud Storage (google-cloud-storage): V4 signed URLs and the object operations of the finalize step.

Signing. Deployed, the function has no private key: it signs through the IAM Credentials `signBlob` API as its
own service account (Terraform grants `iam.serviceAccounts.signBlob` on that account to the functions declaring
`Capability.SIGN_AS_SELF` only). On the local stack (`STORAGE_EMULATOR_HOST` set) it signs with a key made for
the process: the emulator does not check signatures, and no service account or key file is needed anywhere.
"""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from bloom.core.settings import Settings
from bloom.files.storage import SignedRequest, StoredObject
from bloom.platform.store.request_checks import settle_checks

if TYPE_CHECKING:
    from google.cloud.storage import Bucket

LOCAL_SIGNER = "local-signer@demo-bloom.iam.gserviceaccount.com"
LENGTH_RANGE = "x-goog-content-length-range"


class GcsStore:
    def __init__(self, settings: Settings) -> None:
        self._bucket_name = settings.uploads_bucket
        self._project = settings.project_id
        self._emulator = settings.storage_emulator_host
        self._lock = threading.Lock()
        self._credentials: Any = None

    @property
    def bucket(self) -> str:
        return self._bucket_name

    @cached_property
    def _bucket(self) -> Bucket:
        from google.cloud import storage

        if self._emulator:
            from google.auth.credentials import AnonymousCredentials

            client = storage.Client(
                project=self._project,
                credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
                client_options={"api_endpoint": self._emulator},
            )
        else:
            client = storage.Client(project=self._project)
        return client.bucket(self._bucket_name)

    def _signing(self) -> dict[str, Any]:
        """The arguments that make `generate_signed_url` sign: a local key, or IAM signBlob as ourselves."""
        if self._emulator:
            return {"credentials": _local_signer(), "api_access_endpoint": self._emulator}
        with self._lock:
            import google.auth
            from google.auth.transport.requests import Request

            if self._credentials is None:
                self._credentials, _ = google.auth.default()
            if not self._credentials.valid:
                self._credentials.refresh(Request())
            return {
                "service_account_email": self._credentials.service_account_email,
                "access_token": self._credentials.token,
            }

    def signed_put(self, name: str, content_type: str, size: int, ttl: timedelta) -> SignedRequest:
        headers = {LENGTH_RANGE: f"{size},{size}"}
        url = self._bucket.blob(name).generate_signed_url(
            version="v4",
            expiration=ttl,
            method="PUT",
            content_type=content_type,
            headers=dict(headers),  # the SDK adds Host to the dict it is given
            **self._signing(),
        )
        return SignedRequest(url=url, headers={"Content-Type": content_type, **headers})

    def signed_get(self, name: str, content_type: str, disposition: str, ttl: timedelta) -> str:
        url: str = self._bucket.blob(name).generate_signed_url(
            version="v4",
            expiration=ttl,
            method="GET",
            response_type=content_type,
            response_disposition=disposition,
            **self._signing(),
        )
        return url

    def stat(self, name: str) -> StoredObject | None:
        blob = self._bucket.get_blob(name)
        if blob is None or blob.size is None:
            return None
        return StoredObject(size=int(blob.size), content_type=blob.content_type)

    def read(self, name: str) -> bytes:
        data: bytes = self._bucket.blob(name).download_as_bytes()
        return data

    def write(self, name: str, data: bytes, content_type: str) -> None:
        settle_checks()
        self._bucket.blob(name).upload_from_string(data, content_type=content_type)

    def promote(self, source: str, target: str) -> None:
        settle_checks()
        self._bucket.copy_blob(self._bucket.blob(source), self._bucket, target)
        self.delete(source)

    def delete(self, name: str) -> None:
        from google.api_core.exceptions import NotFound

        settle_checks()
        with contextlib.suppress(NotFound):
            self._bucket.blob(name).delete()


_signer_lock = threading.Lock()
_signer: Any = None


def _local_signer() -> Any:
    """Credentials holding a key made for this process (local stack only: the emulator checks no signature)."""
    global _signer
    with _signer_lock:
        if _signer is None:
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import rsa
            from google.auth import crypt
            from google.oauth2 import service_account

            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            _signer = service_account.Credentials(
                crypt.RSASigner.from_string(pem),  # type: ignore[no-untyped-call]
                LOCAL_SIGNER,
                "https://oauth2.googleapis.com/token",
            )
        return _signer
