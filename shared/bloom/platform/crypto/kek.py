"""The key-encryption key (KEK) that wraps every data key: Cloud KMS deployed, a local keyset file otherwise.

Deployed, `KMS_KEY_URI` names the Cloud KMS key (`gcp-kms://projects/…/cryptoKeys/…`); KMS keeps its versions and
decrypts with whichever one encrypted, so rotating it there leaves every wrapped key readable. In development and
tests, `BLOOM_LOCAL_KEYSET` names a cleartext Tink keyset file of AES-256-GCM keys that the local stack creates in
its state directory (never in the repository); `rotate_local_keyset` adds a new primary, keeping the old keys to
decrypt with. A deployed function without `KMS_KEY_URI` refuses to wrap or unwrap anything.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from bloom.core.settings import get_settings

if TYPE_CHECKING:
    from tink import KeysetHandle
    from tink.aead import Aead


class KeyEncryptionKeyMissing(RuntimeError):
    """No KEK is configured: `KMS_KEY_URI` deployed, `BLOOM_LOCAL_KEYSET` locally (the local stack sets it)."""


def register_tink() -> None:
    """Tink's AEAD and PRF primitives (idempotent)."""
    from tink import aead, prf

    aead.register()
    prf.register()


def kek_aead() -> Aead:
    """The AEAD that wraps and unwraps data keys, as configured now (cached per configuration)."""
    settings = get_settings()
    if settings.kms_key_uri:
        return _kms_aead(settings.kms_key_uri)
    if settings.deployed:
        raise KeyEncryptionKeyMissing("KMS_KEY_URI is not set: a deployed function never uses a local keyset")
    if settings.local_keyset_path is None:
        raise KeyEncryptionKeyMissing("BLOOM_LOCAL_KEYSET is not set (the local stack creates and sets it)")
    path = Path(settings.local_keyset_path)
    return _local_aead(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=2)
def _kms_aead(key_uri: str) -> Aead:
    from tink.integration import gcpkms

    register_tink()
    return gcpkms.GcpKmsClient(key_uri, None).get_aead(key_uri)


@lru_cache(maxsize=4)
def _local_aead(path: str, _modified_ns: int) -> Aead:
    """The local keyset's AEAD; a rotation rewrites the file, which changes its modification time and the key."""
    from tink import aead

    return _read_local_keyset(Path(path)).primitive(aead.Aead)


def _read_local_keyset(path: Path) -> KeysetHandle:
    from tink import json_proto_keyset_format, secret_key_access

    register_tink()
    return json_proto_keyset_format.parse(path.read_text(), secret_key_access.TOKEN)


def _write_local_keyset(path: Path, handle: KeysetHandle) -> None:
    import os

    from tink import json_proto_keyset_format, secret_key_access

    serialized = json_proto_keyset_format.serialize(handle, secret_key_access.TOKEN)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # readable by its owner only
    with os.fdopen(descriptor, "w") as file:
        file.write(serialized)
    temporary.replace(path)


def create_local_keyset(path: Path) -> None:
    """A new local KEK keyset file (one AES-256-GCM key) unless `path` already holds one. Development and tests
    only: the file is a cleartext secret."""
    if path.exists():
        return
    import tink
    from tink import aead

    register_tink()
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_local_keyset(path, tink.new_keyset_handle(aead.aead_key_templates.AES256_GCM))


def rotate_local_keyset(path: Path) -> None:
    """Add a new AES-256-GCM key to the local keyset and make it the primary; the old keys stay to decrypt with
    (what a Cloud KMS rotation does to the deployed key). Tink for Python has no keyset manager: the new key comes
    from a fresh one-key keyset, moved into the old keyset's proto."""
    import tink
    from tink import aead, proto_keyset_format, secret_key_access
    from tink.proto import tink_pb2

    keyset = tink_pb2.Keyset.FromString(
        proto_keyset_format.serialize(_read_local_keyset(path), secret_key_access.TOKEN)
    )
    fresh = tink_pb2.Keyset.FromString(
        proto_keyset_format.serialize(
            tink.new_keyset_handle(aead.aead_key_templates.AES256_GCM), secret_key_access.TOKEN
        )
    )
    [new_key] = fresh.key
    while new_key.key_id in {key.key_id for key in keyset.key}:  # ids are random 32-bit numbers
        new_key.key_id = (new_key.key_id + 1) % 2**32
    keyset.key.append(new_key)
    keyset.primary_key_id = new_key.key_id
    _write_local_keyset(path, proto_keyset_format.parse(keyset.SerializeToString(), secret_key_access.TOKEN))
