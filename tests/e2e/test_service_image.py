"""What a service's image runs, on the stack's emulators: the stack's own `uvicorn <module>:<app>` command, started
in the unpacked deploy bundle by an interpreter that sees the bundle and the installed packages only
(tests/support/bundle.py), never this source tree, as infra/service.Dockerfile sets it up. The frontend's client
connects to it over a websocket and gets `history`."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bloom.core.time import utcnow
from bloom.livechat import service as livechat
from infra.auth_emulator import AuthEmulator
from infra.bundle import build_bundle
from infra.stack_runner import RunningStack
from tests.support.livechat import chat_client, service_process
from tests.support.users import make_user


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "bundle.zip"
    build_bundle(out)
    directory = out.parent / "unpacked"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(directory)
    return directory


@pytest.fixture(scope="module")
def bundled_service(
    running_stack: RunningStack, bundle_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The service run from the bundle, with the stack's uvicorn arguments on a free port; yields its origin."""
    with service_process(Path(tmp_path_factory.mktemp("bundled-service")), bundle=bundle_dir) as origin:
        yield origin


def test_the_service_runs_from_the_bundle_and_serves_history_over_a_websocket(
    stack: RunningStack, auth: AuthEmulator, bundled_service: str
) -> None:
    user = make_user(auth, "image@example.com")
    livechat.record_agent_reply(
        f"user-{user.uid}", front_message_id="msg_image", text="Hello from the team", attachments=[], at=utcnow()
    )
    with chat_client() as client:
        client.connect(bundled_service, user.token, transports=("websocket",))
        [entry] = client.next("history")["messages"]
        assert client.send("Hello from the image") == {"ok": True}
    assert entry["direction"] == "agent" and entry["text"] == "Hello from the team"
    assert [message.text for message in livechat.messages_of(f"user-{user.uid}")][-1] == "Hello from the image"
