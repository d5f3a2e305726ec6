"""The object store behind uploads: one interface, two backends (`STORAGE_BACKEND`: `gcs` or `s3`).

Services never see a provider's SDK: they sign, stat, read, promote and delete objects by name through
`backends.object_store()`. Objects are private; the only ways in and out are the short-lived signed URLs made here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol


@dataclass(frozen=True)
class SignedRequest:
    """A signed URL and the headers the client must send with it (they are part of the signature)."""

    url: str
    headers: dict[str, str]


@dataclass(frozen=True)
class StoredObject:
    size: int
    content_type: str | None


class ObjectStore(Protocol):
    @property
    def bucket(self) -> str: ...

    def signed_put(self, name: str, content_type: str, size: int, ttl: timedelta) -> SignedRequest:
        """A URL that accepts one PUT of exactly `size` bytes of `content_type` until `ttl` has passed."""
        ...

    def signed_get(self, name: str, content_type: str, disposition: str, ttl: timedelta) -> str:
        """A URL that serves the object, as a download, until `ttl` has passed."""
        ...

    def stat(self, name: str) -> StoredObject | None: ...

    def read(self, name: str) -> bytes: ...

    def write(self, name: str, data: bytes, content_type: str) -> None:
        """Store bytes the server already has and checked (a records export, a chat attachment), not a signed PUT."""
        ...

    def promote(self, source: str, target: str) -> None:
        """Copy `source` to `target` inside the bucket, then delete `source`."""
        ...

    def delete(self, name: str) -> None:
        """Delete the object; nothing happens when it is already gone."""
        ...
