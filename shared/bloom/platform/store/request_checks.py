"""Checks a request starts as it arrives and that must pass before its first side effect.

The rate limiter's verdict costs one Firestore write. Rather than wait for it before the handler runs, the HTTP
toolkit starts it on a worker thread (`start_check`) and lets the handler read meanwhile: the two round trips
overlap and the request waits once. Every side effect first calls `settle_checks()`, which waits for the verdicts
and raises the first refusal (a 429: nothing was written, sent or published): a commit of the unit of work, a
direct Firestore write, an outbound HTTP call, a change to a Firebase account, a stored object. The toolkit
settles once more before it answers, so a request that only reads is refused all the same.

Outside an HTTP request nothing is pending and `settle_checks()` returns at once.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from bloom.platform.store.client import round_trip_count, stop_round_trip_count

# Two per request at most (a limit per IP and one per user) on functions-framework's 8 threads.
MAX_WORKERS = 16
_pending: contextvars.ContextVar[list[Future[None]] | None] = contextvars.ContextVar(
    "bloom_pending_checks", default=None
)
_executor: ThreadPoolExecutor | None = None


def begin_request_checks() -> None:
    """A new request: no check is pending yet (the context may be a thread's that served an earlier one)."""
    _pending.set([])


def _run_detached(context: contextvars.Context, check: Callable[[], None]) -> None:
    context.run(_detach_and_run, check)


def _detach_and_run(check: Callable[[], None]) -> None:
    # The request counts the check's round trip, and the check itself has nothing to wait for.
    stop_round_trip_count()
    _pending.set(None)
    check()


def start_check(check: Callable[[], None]) -> None:
    """Run `check` (one Firestore round trip) alongside the request; it must pass before any side effect.

    Outside a request (no `begin_request_checks`) it simply runs now. The check keeps the request's log context.
    """
    pending = _pending.get()
    if pending is None:
        check()
        return
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="bloom-check")
    counter = round_trip_count()
    if counter is not None:
        counter.add_background()
    pending.append(_executor.submit(_run_detached, contextvars.copy_context(), check))


def settle_checks() -> None:
    """Wait for every pending check of this request and raise the first one's error, if any."""
    pending = _pending.get()
    if not pending:
        return
    futures = list(pending)
    pending.clear()
    counter = round_trip_count()
    if counter is not None:
        counter.background_awaited()
    errors: list[BaseException] = []
    for future in futures:
        error = future.exception()
        if error is not None:
            errors.append(error)
    if errors:
        raise errors[0]
