"""The live chat's objects on both object stores: bytes written by the server (no signed PUT), their type, a signed
download serving them, deletion (erasure)."""

from __future__ import annotations

import requests

from bloom.files import service as files
from tests.support.files import PNG_BYTES

NAME = "livechat/integration-token"


def test_an_object_is_written_typed_served_signed_and_deleted(backend: str) -> None:
    assert files.object_type(NAME) is None
    files.store_object(NAME, PNG_BYTES, "image/png")
    assert files.object_type(NAME) == "image/png"
    assert files.read_object(NAME) == PNG_BYTES
    served = requests.get(files.download_url(NAME, "image/png", "photo.png"), timeout=30)
    assert served.status_code == 200 and served.content == PNG_BYTES
    assert served.headers["Content-Type"] == "image/png"
    files.delete_object(NAME)
    files.delete_object(NAME)  # already gone: nothing happens
    assert files.object_type(NAME) is None
