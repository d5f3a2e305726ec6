"""The Firestore-backed rate limiter against the emulator: limits, windows, races, and no personal data stored."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from bloom.core.errors import TooManyRequests
from bloom.platform.rate_limits import RateLimitsRepository, check_rate_limit
from bloom.platform.store.indexes import all_ttl_fields
from infra.stack_runner import RunningStack

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
