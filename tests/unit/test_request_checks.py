"""Checks that run alongside a request (the rate limiter's counter): sequential round trips, verdicts before side
effects, a refusal replacing the handler's answer."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import flask
import pytest

from bloom.core.errors import TooManyRequests
from bloom.platform.http import HttpContext, HttpHandler
from bloom.platform.registry import Role
from bloom.platform.store.client import RoundTrips, count_round_trip, round_trip_count, start_round_trip_count
from bloom.platform.store.request_checks import begin_request_checks, settle_checks, start_check

app = flask.Flask(__name__)


def refuse() -> None:
    raise TooManyRequests("ThrottlerException: Too Many Requests", retry_after_s=7)


def test_a_round_trip_made_while_a_background_one_is_in_flight_waits_once() -> None:
    trips = RoundTrips()
    trips.add_background()
    trips.add(1)
    assert trips.count == 1
    trips.add(1)  # the background one is over by now: this one waits on its own
    assert trips.count == 2


def test_background_round_trips_overlap_each_other_and_a_transaction_counts_its_first_wait_once() -> None:
    trips = RoundTrips()
    trips.add_background()
    trips.add_background()
    trips.add(2)  # begin (overlapping both) + commit
    assert trips.count == 2


def test_a_background_round_trip_nothing_overlapped_is_one_wait() -> None:
    trips = RoundTrips()
    trips.add_background()
    trips.background_awaited()
    trips.add(1)
    assert trips.count == 2


def test_outside_a_request_a_check_runs_at_once() -> None:
    ran: list[str] = []

    def check() -> None:
        ran.append(threading.current_thread().name)

    def outside() -> None:
        start_check(check)
        assert ran == [threading.current_thread().name]
        settle_checks()

    worker = threading.Thread(target=outside, name="outside")
    worker.start()
    worker.join()
    assert ran == ["outside"]


def test_a_started_check_runs_on_a_worker_counts_one_round_trip_and_its_error_is_raised_when_settled() -> None:
    def run() -> None:
        begin_request_checks()
        trips = start_round_trip_count()
        seen: dict[str, Any] = {}

        def check() -> None:
            count_round_trip()  # the check's own count is the request's background one, not a second
            seen["thread"] = threading.current_thread().name
            seen["counter"] = round_trip_count()
            settle_checks()  # nothing pending for the check itself (no deadlock)
            refuse()

        start_check(check)
        count_round_trip()  # the request's own read, meanwhile
        with pytest.raises(TooManyRequests):
            settle_checks()
        settle_checks()  # settled once: nothing left
        assert trips.count == 1
        assert seen["thread"].startswith("bloom-check") and seen["counter"] is None

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()


def limited(handler: Callable[[Any], Any]) -> HttpHandler[Any, Any]:
    """A public route whose first step starts a refusing check, as a rate limit over its count would."""
    return HttpHandler(
        name="limited",
        method="POST",
        path="/api/v1/limited",
        role=Role.PUBLIC,
        handler=handler,
        authenticate=lambda *_: None,
        response=str,
    )


def call(route: HttpHandler[Any, Any]) -> tuple[int, Any, str | None]:
    with app.test_request_context("/api/v1/limited", method="POST"):
        response = route(flask.request)
    return response.status_code, json.loads(response.get_data()), response.headers.get("Retry-After")


def test_a_refusal_replaces_the_handlers_answer_even_when_the_handler_only_read() -> None:
    def reads(_: HttpContext[Any, Any]) -> str:
        start_check(refuse)
        return "read"

    status, body, retry_after = call(limited(reads))
    assert (status, body["message"], retry_after) == (429, "ThrottlerException: Too Many Requests", "7")


def test_a_refusal_comes_before_the_first_side_effect() -> None:
    effects: list[str] = []

    def writes(_: HttpContext[Any, Any]) -> str:
        start_check(refuse)
        settle_checks()  # what a commit, an outbound call or an account change does first
        effects.append("written")
        return "written"

    assert call(limited(writes))[0] == 429
    assert effects == []


def test_a_refusal_wins_over_the_handlers_own_error() -> None:
    def fails(_: HttpContext[Any, Any]) -> str:
        start_check(refuse)
        raise ValueError("not reached by the caller")

    assert call(limited(fails))[0] == 429
