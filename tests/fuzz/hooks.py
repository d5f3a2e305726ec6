"""Schemathesis hooks for the API fuzz (`tests/fuzz/test_api_fuzz.py`).

The `schemathesis run` subprocess imports this module through `SCHEMATHESIS_HOOKS`; the JSON file named by
`BLOOM_FUZZ_CONTEXT` (a `FuzzContext`, written by the test) says who calls and which seeded values exist. The hooks:

- sign every request as the caller (its token, or a token from a pool of callers of the same role on routes
  limited per user) and give each request its own client IP, so rate limits answer 429 now and then without
  eating the run (a 429 is documented where a limit is declared, so it never counts as a failure);
- sign webhook deliveries with the webhook's secret when the context has one, so they reach the handler;
- mix seeded ids into path parameters and body fields of the same name, so the fuzzer gets past 404s, and a
  small dictionary of values Firestore refuses (over-long and reserved ids, integers beyond 64 bits, arrays in
  arrays, reserved keys, deep maps) into path parameters, text query parameters and body fields, so it reaches
  the storage layer with them;
- now and then replace a JSON body with a deeply nested one;
- drop the failures of `KNOWN_ISSUES` (each a narrow predicate on one operation's input and answer) from the run
  and record them in a file, so the test can report them apart from new ones.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import strategies as st
from schemathesis.core.failures import Failure
from schemathesis.core.transport import Response
from schemathesis.generation.case import Case
from schemathesis.hooks import HookContext

from bloom.platform.webhook_verification import HmacSignature
from tests.fuzz.context import FuzzContext, KnownIssueHit

# Ids Firestore cannot use as document ids: too long (limit 1,500 bytes), reserved (`__.*__`), `.` and `..`.
HOSTILE_IDS = ("a" * 1500, "__x__", ".", "..")
# A JSON body nested deeper than any parser should follow (Python's json module recurses per level).
DEEP_BODY = b"[" * 1000 + b"]" * 1000
# Values of a body field's type the storage layer cannot hold: integers beyond 64 bits, an array in an array, a
# reserved key, maps nested 30 deep. (No lone surrogates: the API refuses them while parsing, and schemathesis's
# own validator cannot take them.)
NESTED_MAPS: dict[str, Any] = {}
for _ in range(30):
    NESTED_MAPS = {"a": NESTED_MAPS}
HOSTILE_VALUES: dict[type, tuple[Any, ...]] = {
    str: HOSTILE_IDS,
    int: (2**63, -(2**63) - 1),
    dict: ({"a": [[0]]}, {"__x__": 0}, NESTED_MAPS),
}
HOSTILE_VALUES[type(None)] = HOSTILE_VALUES[int]  # an optional field generated as null may be an integer one
# One body in DEEP_BODY_ONE_IN is DEEP_BODY instead (shrinking goes back to the generated one).
DEEP_BODY_ONE_IN = 25

CONTEXT = FuzzContext.load(Path(os.environ["BLOOM_FUZZ_CONTEXT"]))
_addresses = itertools.count(1)
_pool_turn = itertools.count()
_lock = threading.Lock()


def _operation(context: HookContext) -> tuple[str, str]:
    operation = context.operation
    return (operation.method.upper(), operation.path) if operation is not None else ("", "")


def _substitutable(generated: Any, seeded: list[Any], hostile: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    """The generated value, a seeded one or a hostile one, each group as likely as the others; shrinking goes back
    to the generated value, so a failure is minimised towards what schemathesis produced."""
    groups = [st.sampled_from(values) for values in (seeded, hostile) if values]
    return st.one_of(st.just(generated), *groups)


def flatmap_path_parameters(context: HookContext, path_parameters: dict[str, Any] | None) -> st.SearchStrategy[Any]:
    if not path_parameters:
        return st.just(path_parameters)
    seeded = CONTEXT.path_values.get(_operation(context)[1], {})
    return st.fixed_dictionaries(
        {name: _substitutable(value, seeded.get(name, []), HOSTILE_IDS) for name, value in path_parameters.items()}
    )


def flatmap_query(context: HookContext, query: dict[str, Any] | None) -> st.SearchStrategy[Any]:
    if not query:
        return st.just(query)
    return st.fixed_dictionaries(
        {name: _substitutable(value, [], HOSTILE_VALUES.get(type(value), ())) for name, value in query.items()}
    )


def flatmap_body(context: HookContext, body: Any) -> st.SearchStrategy[Any]:
    if isinstance(body, dict):
        seeded = {**CONTEXT.body_values, **CONTEXT.operation_body_values.get(_operation(context)[1], {})}
        fields = st.fixed_dictionaries(
            {
                name: _substitutable(value, seeded.get(name, []), HOSTILE_VALUES.get(type(value), ()))
                for name, value in body.items()
            }
        )
    else:
        fields = st.just(body)
    return st.integers(min_value=0, max_value=DEEP_BODY_ONE_IN - 1).flatmap(
        lambda draw: st.just(DEEP_BODY) if draw == DEEP_BODY_ONE_IN - 1 else fields
    )


def _raw_json(body: Any) -> bytes:
    """The bytes schemathesis sends for a JSON body (requests' `json=`), which a webhook signature covers."""
    if isinstance(body, bytes):
        return body
    if body is None:
        return b"null"
    return json.dumps(body, allow_nan=False).encode()


def before_call(context: HookContext, case: Case[Any], kwargs: dict[str, Any]) -> None:
    method, path = _operation(context)
    with _lock:
        address = next(_addresses)
        turn = next(_pool_turn)
    # The gateway appends the connecting peer and trusts one hop more: this entry is the caller's address.
    case.headers["X-Forwarded-For"] = f"10.{(address >> 16) & 255}.{(address >> 8) & 255}.{address & 255}"
    token = CONTEXT.token
    if CONTEXT.pool and f"{method} {path}" in CONTEXT.pooled_operations:
        token = CONTEXT.pool[turn % len(CONTEXT.pool)]
    if token is not None:
        case.headers["Authorization"] = f"Bearer {token}"
    signature = CONTEXT.signatures.get(f"{method} {path}")
    if signature is not None and case.media_type == "application/json":
        scheme = HmacSignature(
            header=signature.header,
            credential=signature.credential,
            algorithm=signature.algorithm,
            encoding=signature.encoding,
            timestamp_header=signature.timestamp_header,
        )
        stamp = None
        if scheme.timestamp_header:
            stamp = str(int(time.time()))
            case.headers[scheme.timestamp_header] = stamp
        case.headers[scheme.header] = scheme.sign(signature.secret, _raw_json(case.body), stamp)
    credential = CONTEXT.tokens.get(f"{method} {path}")
    if credential is not None:
        if credential.header is not None:
            prefix = f"{credential.scheme} " if credential.scheme else ""
            case.headers[credential.header] = prefix + credential.secret
        if credential.query is not None:
            case.query = {**(case.query or {}), credential.query: credential.secret}
        if isinstance(case.body, dict):
            case.body.update(credential.body_fields)
            case.body.update(dict.fromkeys(credential.timestamp_fields, int(time.time())))


@dataclass(frozen=True)
class KnownIssue:
    """A bug someone is already fixing. It covers a failure only when all of these hold: the operation ("*": any),
    the response status, the failure's schemathesis code, and `matches` on the request, which must single out the
    known input and nothing else."""

    name: str
    operation: str  # "METHOD /path/template", or "*"
    status: int
    codes: tuple[str, ...]
    matches: Callable[[Case[Any]], bool]


# Failures of a bug being fixed, each a narrow predicate on one operation's input and answer, e.g.
# `KnownIssue("deeply nested body", "*", 500, ("ST101", "ST103"), lambda case: ...)`: the run reports them apart
# (xfail, with their reproductions) instead of failing. Empty: every issue the fuzzer found so far is fixed and
# has its regression test in tests/e2e/test_bad_input.py.
KNOWN_ISSUES: tuple[KnownIssue, ...] = ()


def filter_failure(context: HookContext, failure: Failure, case: Case[Any], response: Response) -> bool:
    method, path = _operation(context)
    for issue in KNOWN_ISSUES:
        if (
            issue.operation in ("*", f"{method} {path}")
            and response.status_code == issue.status
            and failure.code in issue.codes
            and issue.matches(case)
        ):
            hit = KnownIssueHit(
                issue.name, issue.operation, response.status_code, failure.title, case.as_curl_command()
            )
            with _lock, CONTEXT.known_issues_file.open("a") as log:
                log.write(hit.to_json() + "\n")
            return False
    return True


for _hook in (flatmap_path_parameters, flatmap_query, flatmap_body, before_call, filter_failure):
    schemathesis.hook(_hook)
