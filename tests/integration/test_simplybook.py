"""The Simplybook client against a local fake, with its token cache in the real Firestore emulator: one sign-in
shared by concurrent callers, a refused token replaced once, and a read timeout retried."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from bloom.platform import http_client
from bloom.therapy import simplybook
from infra.stack_runner import RunningStack
from tests.support.therapy import api_booking


def serve(httpserver: HTTPServer, *, slow_first_read_s: float = 0.0, refuse_token: str | None = None) -> list[str]:
    calls: list[str] = []
    tokens = iter(f"token-{n}" for n in range(1, 100))
    lock = threading.Lock()

    def auth(_: Request) -> Response:
        with lock:
            calls.append("auth")
            token = next(tokens)
        time.sleep(0.3)  # a sign-in long enough for other callers to arrive meanwhile
        return Response(json.dumps({"token": token}), content_type="application/json")

    def read(request: Request) -> Response:
        with lock:
            first = not any(call.startswith("GET") for call in calls)
            calls.append(f"GET {request.headers['X-Token']}")
        if first and slow_first_read_s:
            time.sleep(slow_first_read_s)
        if request.headers["X-Token"] == refuse_token:
            return Response("", status=401)
        return Response(json.dumps(api_booking("user-1")), content_type="application/json")

    httpserver.expect_request("/simplybook/admin/auth", method="POST").respond_with_handler(auth)
    httpserver.expect_request("/simplybook/admin/bookings/501", method="GET").respond_with_handler(read)
    return calls


def test_concurrent_callers_share_one_sign_in(stack: RunningStack, httpserver: HTTPServer) -> None:
    calls = serve(httpserver)
    results: list[Any] = []
    barrier = threading.Barrier(4)

    def read() -> None:
        barrier.wait()
        results.append(simplybook.get_booking(501))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and all(booking.code == "sb501" and booking.user_id == "user-1" for booking in results)
    assert calls.count("auth") == 1
    assert simplybook.get_booking(501).simplybook_id == 501
    assert calls.count("auth") == 1  # still cached


def test_a_refused_token_is_replaced_once(stack: RunningStack, httpserver: HTTPServer) -> None:
    calls = serve(httpserver, refuse_token="token-1")
    assert simplybook.get_booking(501).code == "sb501"
    assert calls == ["auth", "GET token-1", "auth", "GET token-2"]


def test_a_read_timeout_is_retried(
    stack: RunningStack, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the integrations' read timeout (10 s in production), shortened to keep the test fast
    monkeypatch.setattr(http_client, "DEFAULT_TIMEOUT_S", (3.05, 1.0))
    calls = serve(httpserver, slow_first_read_s=1.5)  # beyond the read timeout
    assert simplybook.get_booking(501).code == "sb501"
    assert calls == ["auth", "GET token-1", "GET token-1"]
