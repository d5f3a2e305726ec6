"""The Firestore-backed rate limiter against the emulator: limits, windows, races, no personal data stored, and
limits per signed-in user through the HTTP toolkit with real Auth-emulator tokens."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import flask
import pytest

from bloom.api import HttpContext, authenticate
from bloom.core.errors import TooManyRequests
from bloom.platform.http import Empty, HttpHandler
from bloom.platform.rate_limits import RateLimit, RateLimitsRepository, check_rate_limit
from bloom.platform.registry import Role
from bloom.platform.store.indexes import all_ttl_fields
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.users import make_user

# A fixed moment well inside a minute window, so no test straddles a window boundary by accident.
T0 = datetime(2030, 1, 1, 12, 0, 5, tzinfo=UTC)


def test_the_call_after_the_limit_is_refused(stack: RunningStack) -> None:
    key = "signup:203.0.113.7"
    for _ in range(3):
        check_rate_limit(key, 3, 60, now=T0)
    with pytest.raises(TooManyRequests) as refused:
        check_rate_limit(key, 3, 60, now=T0 + timedelta(seconds=30))
    assert refused.value.status_code == 429
    assert refused.value.message == "ThrottlerException: Too Many Requests"
    with pytest.raises(TooManyRequests):
        check_rate_limit(key, 3, 60, now=T0 + timedelta(seconds=54))


def test_a_new_window_starts_from_zero(stack: RunningStack) -> None:
    key = "partner-admin-create:user-1"
    check_rate_limit(key, 1, 60, now=T0)
    with pytest.raises(TooManyRequests):
        check_rate_limit(key, 1, 60, now=T0 + timedelta(seconds=1))
    check_rate_limit(key, 1, 60, now=T0 + timedelta(seconds=60))
    with pytest.raises(TooManyRequests):
        check_rate_limit(key, 1, 60, now=T0 + timedelta(seconds=61))


def test_keys_are_counted_separately(stack: RunningStack) -> None:
    check_rate_limit("signup:198.51.100.1", 1, 60, now=T0)
    check_rate_limit("signup:198.51.100.2", 1, 60, now=T0)
    with pytest.raises(TooManyRequests):
        check_rate_limit("signup:198.51.100.1", 1, 60, now=T0)


def test_the_stored_counter_holds_no_key_and_expires(stack: RunningStack) -> None:
    key = "signup:person@example.com"
    check_rate_limit(key, 5, 60, now=T0)
    check_rate_limit(key, 5, 60, now=T0)
    [(doc_id, window)] = RateLimitsRepository().select()
    assert "example" not in doc_id and "@" not in doc_id and "person" not in doc_id
    assert window.count == 2
    assert window.window_start == datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert window.expire_at > window.window_start + timedelta(seconds=60)
    assert ("rateLimits", "expireAt") in all_ttl_fields()


def test_racing_callers_never_get_more_than_the_limit(stack: RunningStack) -> None:
    limit, callers, per_caller = 3, 2, 5
    start = threading.Barrier(callers)
    allowed: list[int] = []
    refused: list[int] = []
    errors: list[BaseException] = []

    def caller(number: int) -> None:
        start.wait()
        for _ in range(per_caller):
            try:
                check_rate_limit("signup:192.0.2.9", limit, 60, now=T0)
                allowed.append(number)
            except TooManyRequests:
                refused.append(number)
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(allowed) == limit
    assert len(refused) == callers * per_caller - limit
    [(_, window)] = RateLimitsRepository().select()
    assert window.count == callers * per_caller


def test_a_refusal_says_when_the_window_ends_and_repeated_refusals_are_logged_once_as_abuse(
    stack: RunningStack, caplog: pytest.LogCaptureFixture
) -> None:
    key = "validate:198.51.100.3"
    check_rate_limit(key, 2, 60, now=T0)
    check_rate_limit(key, 2, 60, now=T0)
    with caplog.at_level(logging.WARNING, logger="bloom.platform.rate_limits"):
        for _ in range(6):  # calls 3 to 8 of the window: all refused, the 5th (> 2 x limit) is abuse
            with pytest.raises(TooManyRequests) as refused:
                check_rate_limit(key, 2, 60, now=T0 + timedelta(seconds=15))
            assert refused.value.headers == {"Retry-After": "40"}  # at 12:00:20; the window ends at 12:01:00
    assert [record.levelname for record in caplog.records] == ["WARNING"] * 2 + ["ERROR"] + ["WARNING"] * 3
    abuse = caplog.records[2]
    assert abuse.__dict__["rateLimitAbuse"] is True
    assert (abuse.__dict__["limit"], abuse.__dict__["window_s"]) == (2, 60)
    assert "198.51.100.3" not in caplog.text and "validate" not in caplog.text


def _whoami(ctx: HttpContext[Empty, Empty]) -> str:
    return ctx.caller.auth_uid


def _limited(name: str) -> HttpHandler[Empty, Empty]:
    """A signed-in route allowing two calls a minute per user (not registered: built as the decorator builds it)."""
    return HttpHandler(
        name=name,
        method="GET",
        path="/api/v1/whoami",
        role=Role.USER,
        handler=_whoami,
        authenticate=authenticate,
        response=str,
        context=HttpContext,
        rate_limits=(RateLimit.parse("2/minute per user"),),
        clock=lambda: T0,  # every call in one window, whatever the real time
    )


def _get(handler: HttpHandler[Empty, Empty], who: AuthAccount, ip: str) -> tuple[int, Any, str | None]:
    app = flask.Flask(__name__)
    with app.test_request_context(
        "/api/v1/whoami", method="GET", headers={**who.headers, "X-Forwarded-For": ip}, environ_base={"REMOTE_ADDR": ip}
    ):
        response = handler(flask.request)
    return response.status_code, json.loads(response.get_data()), response.headers.get("Retry-After")


def test_limits_per_user_count_each_signed_in_user_separately_wherever_they_call_from(
    stack: RunningStack, auth: AuthEmulator
) -> None:
    first, second = make_user(auth, "first@example.com"), make_user(auth, "second@example.com")
    whoami, other_route = _limited("whoami"), _limited("other_route")
    assert _get(whoami, first, "203.0.113.1")[:2] == (200, first.uid)
    assert _get(whoami, first, "203.0.113.2")[:2] == (200, first.uid)
    status, body, retry_after = _get(whoami, first, "203.0.113.3")  # a new address does not make a new user
    assert (status, body["message"]) == (429, "ThrottlerException: Too Many Requests")
    assert retry_after == "55"  # T0 is 12:00:05
    assert _get(whoami, second, "203.0.113.1")[:2] == (200, second.uid)  # another user, same address
    assert _get(other_route, first, "203.0.113.1")[:2] == (200, first.uid)  # another route, its own bucket
    assert _get(whoami, first, "203.0.113.1")[0] == 429
