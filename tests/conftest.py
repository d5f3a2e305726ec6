"""Shared fixtures. The local stack starts once per session, only when a test asks for it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from infra.auth_emulator import AuthEmulator
from infra.stack_runner import RunningStack, start_stack, stop_stack
from tests.support.crm_fakes import Providers
from tests.support.fakes import fake_service_env
from tests.support.pages import PageServer, page_server
from tests.support.settings import SettingsEnv


@pytest.fixture(scope="session")
def crm_server() -> Iterator[HTTPServer]:
    """The second third-party server: Crisp, Mailchimp and respond.io (see `tests.support.fakes`). Unprogrammed
    requests get 404, which the CRM integrations treat as permanent: in a test that does not ask for `providers`,
    every user change's sync fails once and is acknowledged, instead of answering 500 and being retried (by the
    HTTP client, then by Pub/Sub until dead-lettered) in the background of the tests that follow."""
    server = HTTPServer(host="localhost", port=0)
    server.no_handler_status_code = 404
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


@pytest.fixture(scope="session")
def pages() -> Iterator[PageServer]:
    """The web server of the pages browser tests open; the stack allows its origin beside the frontend's."""
    with page_server() as server:
        yield server


@pytest.fixture(scope="session")
def running_stack(
    tmp_path_factory: pytest.TempPathFactory, make_httpserver: HTTPServer, crm_server: HTTPServer, pages: PageServer
) -> Iterator[RunningStack]:
    from bloom.core.settings import get_settings

    fakes = {
        **fake_service_env(make_httpserver.url_for("/"), crm_server.url_for("/")),
        "BLOOM_CORS_ORIGINS": ",".join((*get_settings().cors_origins, pages.origin)),
    }
    process, stack = start_stack(Path(tmp_path_factory.mktemp("stack")), fakes)
    exported = {**stack.env, **fakes}
    previous = {key: os.environ.get(key) for key in exported}
    os.environ.update(exported)
    get_settings.cache_clear()
    try:
        yield stack
    finally:
        stop_stack(process)
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[SettingsEnv]:
    """Set or unset variables for this test; settings are read afresh after each change and after the test."""
    from bloom.core.settings import get_settings

    yield SettingsEnv(monkeypatch)
    get_settings.cache_clear()  # monkeypatch restores the variables right after; the next read sees them


@pytest.fixture
def httpserver(make_httpserver: HTTPServer) -> HTTPServer:
    """The third-party fake, cleared for each test. A request no test programmed gets 404, which our
    integrations treat as permanent, so an event left over from an earlier test is acknowledged, not retried."""
    make_httpserver.clear()
    make_httpserver.no_handler_status_code = 404
    return make_httpserver


@pytest.fixture
def providers(crm_server: HTTPServer) -> Providers:
    """Crisp, Mailchimp and respond.io with empty state for this test (unprogrammed paths get 404)."""
    crm_server.clear()
    crm_server.no_handler_status_code = 404
    return Providers().install(crm_server)


@pytest.fixture
def stack(running_stack: RunningStack, httpserver: HTTPServer) -> RunningStack:
    """The running stack with empty Firestore and Auth and a cleared fake: every test starts from nothing."""
    running_stack.reset()
    return running_stack


@pytest.fixture
def auth(stack: RunningStack) -> AuthEmulator:
    return AuthEmulator(stack.auth, stack.project)
