"""Helpers for tests of clinical records and their encryption."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _keyset(path: Path) -> Any:  # a Tink protobuf `Keyset` (Tink ships no type stubs)
    from tink import json_proto_keyset_format, proto_keyset_format, secret_key_access
    from tink.proto import tink_pb2

    handle = json_proto_keyset_format.parse(path.read_text(), secret_key_access.TOKEN)
    return tink_pb2.Keyset.FromString(proto_keyset_format.serialize(handle, secret_key_access.TOKEN))


def keyset_key_ids(path: Path) -> list[int]:
    """The key ids of the local KEK keyset, the primary last."""
    keyset = _keyset(path)
    ids = [key.key_id for key in keyset.key if key.key_id != keyset.primary_key_id]
    return [*ids, keyset.primary_key_id]


def retire_all_but_primary(path: Path) -> None:
    """Remove every key but the primary from the local KEK keyset: what was wrapped under an older key no longer
    unwraps (proves a re-wrap happened)."""
    from tink import json_proto_keyset_format, proto_keyset_format, secret_key_access

    keyset = _keyset(path)
    primary = [key for key in keyset.key if key.key_id == keyset.primary_key_id]
    del keyset.key[:]
    keyset.key.extend(primary)
    handle = proto_keyset_format.parse(keyset.SerializeToString(), secret_key_access.TOKEN)
    path.write_text(json_proto_keyset_format.serialize(handle, secret_key_access.TOKEN))


def every_stored_document() -> str:
    """Every document of the Firestore emulator (sub-collections included), as one text to search for markers."""
    from google.cloud.firestore import CollectionReference

    from bloom.platform.store.client import db

    texts: list[str] = []
    pending: list[CollectionReference] = list(db().collections())
    while pending:
        collection = pending.pop()
        for snapshot in collection.stream():
            texts.append(f"{snapshot.reference.path} {snapshot.to_dict()!r}")
            pending.extend(snapshot.reference.collections())
    return "\n".join(texts)
