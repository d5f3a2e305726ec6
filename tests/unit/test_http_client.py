"""The integrations' HTTP client against a local server: retries, Retry-After, timeouts, and what it logs."""

from __future__ import annotations

import logging
import time

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from bloom.core.logging import CloudLoggingFormatter
from bloom.platform import http_client
from bloom.platform.http_client import integration_session


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """urllib3's waits between attempts, recorded instead of slept: the policy is asserted, not the clock."""
    recorded: list[float] = []
    monkeypatch.setattr("urllib3.util.retry.time.sleep", recorded.append)
    return recorded


def statuses(httpserver: HTTPServer) -> list[int]:
    return [response.status_code for _, response in httpserver.log]


def test_a_503_is_retried_and_the_success_returned(httpserver: HTTPServer, sleeps: list[float]) -> None:
    httpserver.expect_ordered_request("/story").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/story").respond_with_data("ok")
    with integration_session("demo") as session:
        response = session.get(httpserver.url_for("/story"))
    assert (response.status_code, statuses(httpserver)) == (200, [503, 200])
    assert sleeps == []  # the first retry goes at once


def test_retries_are_bounded_and_the_last_answer_is_returned(httpserver: HTTPServer, sleeps: list[float]) -> None:
    httpserver.expect_request("/story").respond_with_data("down", status=502)
    with integration_session("demo") as session:
        response = session.get(httpserver.url_for("/story"))
    assert (response.status_code, statuses(httpserver)) == (502, [502] * 3)
    assert sleeps == [2 * http_client.BACKOFF_FACTOR]


def test_retry_after_is_honoured_up_to_a_cap(httpserver: HTTPServer, sleeps: list[float]) -> None:
    httpserver.expect_ordered_request("/story").respond_with_data("slow down", status=429, headers={"Retry-After": "2"})
    httpserver.expect_ordered_request("/story").respond_with_data("", status=503, headers={"Retry-After": "3600"})
    httpserver.expect_ordered_request("/story").respond_with_data("ok")
    with integration_session("demo") as session:
        response = session.get(httpserver.url_for("/story"))
    assert (response.status_code, statuses(httpserver)) == (200, [429, 503, 200])
    assert sleeps == [2, http_client.MAX_RETRY_AFTER_S]


def test_a_post_is_retried_only_when_the_caller_says_it_is_idempotent(
    httpserver: HTTPServer, sleeps: list[float]
) -> None:
    httpserver.expect_request("/send", method="POST").respond_with_data("down", status=503)
    with integration_session("demo") as session:
        assert session.post(httpserver.url_for("/send"), json={}).status_code == 503
    assert statuses(httpserver) == [503]
    with integration_session("demo", idempotent_post=True) as session:
        assert session.post(httpserver.url_for("/send"), json={}).status_code == 503
    assert statuses(httpserver) == [503] * 4


def test_other_client_errors_are_not_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/story").respond_with_data("no", status=404)
    with integration_session("demo") as session:
        assert session.get(httpserver.url_for("/story")).status_code == 404
    assert statuses(httpserver) == [404]


def slow(_: Request) -> Response:
    time.sleep(0.5)
    return Response("late")


def test_a_request_without_a_timeout_gets_the_default(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    httpserver.expect_request("/send", method="POST").respond_with_handler(slow)
    monkeypatch.setattr(http_client, "DEFAULT_TIMEOUT_S", (1.0, 0.1))  # the production default, shortened
    with integration_session("demo") as session, pytest.raises(requests.ReadTimeout):
        session.post(httpserver.url_for("/send"))
    with integration_session("demo") as session, pytest.raises(requests.ReadTimeout):
        session.post(httpserver.url_for("/send"), timeout=None)
    with integration_session("demo") as session:
        assert session.post(httpserver.url_for("/send"), timeout=(1.0, 5.0)).text == "late"


def test_an_unreachable_host_is_a_connection_error(sleeps: list[float]) -> None:
    with integration_session("demo") as session, pytest.raises(requests.ConnectionError):
        session.post("http://127.0.0.1:9/send")  # nothing listens on port 9; nothing was sent, so POST is retried
    assert sleeps == [2 * http_client.BACKOFF_FACTOR]


def logged(records: list[logging.LogRecord]) -> str:
    formatter = CloudLoggingFormatter()
    return "\n".join(formatter.format(record) for record in records)


def test_log_lines_carry_no_query_string_body_or_credential(
    httpserver: HTTPServer, sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    httpserver.expect_ordered_request("/v2/story/7").respond_with_data("", status=503)
    httpserver.expect_ordered_request("/v2/story/7").respond_with_data("ok")
    httpserver.expect_request("/services/T0/B0/SECRETPATH", method="POST").respond_with_data("ok")
    with caplog.at_level(logging.DEBUG):
        with integration_session("storyblok") as session:
            session.get(httpserver.url_for("/v2/story/7"), params={"token": "QUERYTOKEN"}, json={"n": "PERSONAL"})
        with integration_session("slack", log_path=False) as session:
            session.post(httpserver.url_for("/services/T0/B0/SECRETPATH"), json={"text": "PERSONAL"})
        with integration_session("slack", log_path=False) as session, pytest.raises(requests.ConnectionError):
            session.post("http://127.0.0.1:9/services/T0/B0/SECRETPATH?token=QUERYTOKEN")
    text = logged(caplog.records)
    for secret in ("QUERYTOKEN", "PERSONAL", "SECRETPATH"):
        assert secret not in text
    lines = [record for record in caplog.records if record.name == "bloom.platform.http_client"]
    storyblok, slack, unreachable = (vars(record) for record in lines)
    assert {k: storyblok[k] for k in ("service", "method", "host", "path", "status", "attempts")} == {
        "service": "storyblok",
        "method": "GET",
        "host": "localhost",
        "path": "/v2/story/7",
        "status": 200,
        "attempts": 2,
    }
    assert (slack["path"], slack["status"], slack["attempts"]) == ("[not logged]", 200, 1)
    assert (unreachable["error"], unreachable["host"]) == ("ConnectionError", "127.0.0.1")
