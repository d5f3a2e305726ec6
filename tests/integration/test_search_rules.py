"""The search index is closed to clients: no read, list or write of `searchEntries` and `searchScopes`, under the
security rules the emulator loads (REST with an Auth-emulator ID token, as the web SDK sends it)."""

from __future__ import annotations

import requests

from bloom.platform.store.client import db
from infra.auth_emulator import AuthEmulator
from infra.stack_runner import RunningStack


def test_clients_can_neither_read_nor_write_the_index(stack: RunningStack, auth: AuthEmulator) -> None:
    reader = auth.sign_up("reader.rules@example.com")
    entry = f"user-{reader.uid}_message_m1"
    db().collection("searchEntries").document(entry).set({"reader": f"user-{reader.uid}", "terms": ["t"]})
    db().collection("searchScopes").document("thread:t1").set({"readers": [f"user-{reader.uid}"]})
    base = f"{stack.firestore}/v1/projects/{stack.project}/databases/(default)/documents"
    for path in (f"searchEntries/{entry}", "searchScopes/thread:t1"):
        assert requests.get(f"{base}/{path}", headers=reader.headers, timeout=10).status_code == 403, path
        forged = {"fields": {"readers": {"arrayValue": {"values": [{"stringValue": reader.uid}]}}}}
        assert requests.patch(f"{base}/{path}", json=forged, headers=reader.headers, timeout=10).status_code == 403
    for collection in ("searchEntries", "searchScopes"):
        query = {"structuredQuery": {"from": [{"collectionId": collection}]}}
        listed = requests.post(f"{base}:runQuery", json=query, headers=reader.headers, timeout=10)
        assert listed.status_code == 403, collection
