"""Fixtures running a test on both object stores: Cloud Storage (the stack's storage emulator) and S3 (a moto
server). `tests/integration/conftest.py` offers them; a test takes `backend` (the store's name), parametrized."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from bloom.files.backends import object_store
from infra.stack_runner import RunningStack
from infra.storage_notifications import create_bucket
from tests.support.settings import SettingsEnv

BUCKET = "integration-uploads"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(params=["gcs", "s3"])
def backend(
    request: pytest.FixtureRequest, stack: RunningStack, settings_env: SettingsEnv, moto_endpoint: str
) -> Iterator[str]:
    if request.param == "gcs":
        settings_env.set("UPLOADS_BUCKET", BUCKET)
        create_bucket(stack.storage, stack.project, BUCKET)
    else:
        for name, value in {
            "STORAGE_BACKEND": "s3",
            "S3_ENDPOINT_URL": moto_endpoint,
            "S3_BUCKET": BUCKET,
            "S3_ACCESS_KEY_ID": "test-key",
            "S3_SECRET_ACCESS_KEY": "test-secret",
        }.items():
            settings_env.set(name, value)
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=moto_endpoint,
            region_name="us-east-1",
            aws_access_key_id="test-key",
            aws_secret_access_key="test-secret",
        )
        if BUCKET not in [b["Name"] for b in client.list_buckets().get("Buckets", [])]:
            client.create_bucket(Bucket=BUCKET)
    object_store.cache_clear()
    yield str(request.param)
    object_store.cache_clear()
