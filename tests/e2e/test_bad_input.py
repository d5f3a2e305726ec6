"""Bad input never 500s: the holes a black-box fuzzing run found, each answered with a clear 4xx (or 502 for a
third party's bad answer) and the stack still serving afterwards."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer

from infra.auth_emulator import AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.partners import call, error, new_partner, ok, super_admin
from tests.support.practice import practice_admin
from tests.support.storyblok import CDN_QUERY, post_raw, sign
from tests.support.users import make_user

DEEP = 100_000


def raw(stack: RunningStack, method: str, path: str, body: bytes, headers: dict[str, str] | None = None) -> Any:
    return requests.request(
        method,
        f"{stack.api}/v1/{path}",
        data=body,
        headers={"Content-Type": "application/json", **(headers or {})},
        timeout=30,
    )


def test_deeply_nested_json_is_a_400_on_every_json_endpoint(stack: RunningStack, auth: AuthEmulator) -> None:
    deep = b"[" * DEEP + b"]" * DEEP
    user = make_user(auth, "user@example.com")
    for method, path, headers in (
        ("POST", "user", {}),  # public
        ("POST", "partner-access/validate-code", {}),
        ("PATCH", "user", user.headers),
        ("POST", "event-logger", user.headers),
    ):
        response = raw(stack, method, path, deep, headers)
        assert response.status_code == 400, (path, response.status_code, response.text[:200])
        assert response.json()["message"] == ["body must not be nested more than 32 levels deep"]
    assert ok(call(stack, "GET", "user/me", user))["user"]["email"] == "user@example.com"


def test_a_body_over_the_limit_is_a_413(stack: RunningStack) -> None:
    response = raw(stack, "POST", "user", b'{"name": "' + b"a" * (300 * 1024) + b'"}')
    assert response.status_code == 413
    assert response.json()["message"] == "body must be at most 256 KiB"


def test_unpaired_surrogates_are_a_400(stack: RunningStack, auth: AuthEmulator) -> None:
    user = make_user(auth, "user@example.com")
    response = raw(stack, "PATCH", "user", b'{"name": "\\ud800"}', user.headers)
    assert response.status_code == 400
    assert response.json()["message"] == ["body must be valid Unicode text (no unpaired surrogates)"]
    paired = raw(stack, "PATCH", "user", b'{"name": "\\ud83d\\ude00"}', user.headers)  # an emoji, escaped
    assert paired.status_code == 200 and paired.json()["name"] == "\U0001f600"


@pytest.mark.parametrize(
    ("path", "role", "status"),
    [
        ("resource/" + "a" * 1500, "user", 404),
        ("resource/__x__", "user", 404),
        ("partner/" + "a" * 1500, "super", 404),
        ("partner-feature/automatic-access-code/" + "a" * 1500, "public", 200),
    ],
)
def test_over_long_or_reserved_path_ids_are_not_found(
    stack: RunningStack, auth: AuthEmulator, path: str, role: str, status: int
) -> None:
    who = {"user": make_user(auth, "user@example.com"), "super": super_admin(auth), "public": None}[role]
    response = call(stack, "GET", path, who)
    assert response.status_code == status, response.text[:300]


def test_no_practice_route_answers_500_for_ids_too_long_to_query(stack: RunningStack, auth: AuthEmulator) -> None:
    """Every practice operation with path parameters, each given an id Firestore accepts as a document id but
    refuses to query for (1,500 bytes), as a practice admin (in every care team, so handlers reach their queries):
    never a 500. (The notes and the access log of such a patient answered 500 before their queries went through
    `Repository.query`.)"""
    admin = practice_admin(auth)
    document = requests.get(f"{stack.api}/openapi.json", timeout=30).json()
    origin = stack.api.removesuffix("/api")
    answers: dict[str, int] = {}
    for template, operations in document["paths"].items():
        if not template.startswith("/api/v1/practice/") or "{" not in template:
            continue
        url = origin + re.sub(r"\{[^}]+\}", "a" * 1500, template)
        for method in set(operations) & {"get", "post", "put", "patch", "delete"}:
            response = requests.request(method, url, json={}, headers=admin.headers, timeout=60)
            answers[f"{method.upper()} {template}"] = response.status_code
    assert len(answers) > 40
    assert {operation: status for operation, status in answers.items() if status >= 500} == {}


@pytest.mark.parametrize("user_id", ["a" * 1500, "__x__", "a" * 1000 + "é" * 300])
def test_over_long_or_reserved_user_ids_are_not_found(stack: RunningStack, auth: AuthEmulator, user_id: str) -> None:
    admin = super_admin(auth)
    error(call(stack, "DELETE", f"user/{user_id}", admin), 404, "USER NOT FOUND")
    error(call(stack, "PATCH", f"user/admin/{user_id}", admin, {"name": "x"}), 404, "USER NOT FOUND")


@pytest.mark.parametrize(
    ("metadata", "problem"),
    [
        ({"": 1}, "keys must be 1 to 1500 bytes of text"),
        ({"__name__": 1}, "keys must not look like __reserved__"),
        ({"k" * 1501: 1}, "keys must be 1 to 1500 bytes of text"),
        ({"a": [[1]]}, "must not hold an array directly inside an array"),
        ({"a": 2**64}, "integers must fit in 64 bits"),
        ({"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"j": {"k": 1}}}}}}}}}}}, "must not be nested"),
    ],
)
def test_event_metadata_firestore_cannot_store_is_a_400(
    stack: RunningStack, auth: AuthEmulator, metadata: dict[str, Any], problem: str
) -> None:
    user = make_user(auth, "user@example.com")
    response = raw(
        stack, "POST", "event-logger", json.dumps({"event": "LOGGED_IN", "metadata": metadata}).encode(), user.headers
    )
    assert response.status_code == 400, response.text[:300]
    [message] = response.json()["message"]
    assert message.startswith("metadata: ") and problem in message


def test_storable_event_metadata_is_kept(stack: RunningStack, auth: AuthEmulator) -> None:
    user = make_user(auth, "user@example.com")
    metadata = {"course": "healing", "steps": [1, 2, {"nested": True}], "score": -(2**63)}
    logged = ok(call(stack, "POST", "event-logger", user, {"event": "LOGGED_IN", "metadata": metadata}), 201)
    assert logged["metadata"] == metadata


def test_a_story_id_beyond_64_bits_is_a_400(stack: RunningStack) -> None:
    for action in ("unpublished", "deleted", "published"):
        body = json.dumps({"action": action, "story_id": 2**64}).encode()
        response = post_raw(stack, body, {"webhook-signature": sign(body)})
        assert response.status_code == 400, response.text[:300]


def test_a_cdn_answer_nested_too_deep_is_a_502(stack: RunningStack, httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(
        "/storyblok/v2/cdn/stories/77", method="GET", query_string=CDN_QUERY
    ).respond_with_data('{"story": ' + "[" * DEEP + "]" * DEEP + "}", content_type="application/json")
    body = json.dumps({"action": "published", "story_id": 77}).encode()
    response = post_raw(stack, body, {"webhook-signature": sign(body)})
    assert response.status_code == 502
    assert response.json()["message"] == "STORYBLOK_UNAVAILABLE: response nested too deep"


def test_integers_and_booleans_are_strict_where_the_contract_says_so(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    partner = new_partner(stack, admin, "Strict")
    error(
        call(stack, "PATCH", f"partner/{partner['id']}", admin, {"active": True, "therapySessionsCap": False}),
        400,
        ["therapySessionsCap must be an integer"],
    )
    error(call(stack, "PATCH", f"partner/{partner['id']}", admin, {"active": 1}), 400, ["active must be a boolean"])
    ok(call(stack, "PATCH", f"partner/{partner['id']}", admin, {"active": True, "therapySessionsCap": 3}))
    for coerced in ({"therapySessionsCap": "12"}, {"therapySessionsCap": True}, {"active": "true"}):
        assert call(stack, "PATCH", f"partner/{partner['id']}", admin, coerced).status_code == 400, coerced


def test_a_json_endpoint_refuses_text_forms_and_multipart_with_415(stack: RunningStack, auth: AuthEmulator) -> None:
    user = make_user(auth, "user@example.com")
    body = b'{"partnerAccessCode": "ABC123"}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        response = raw(stack, "POST", "partner-access/validate-code", body, {"Content-Type": content_type})
        assert response.status_code == 415, content_type
        assert set(response.json()) == {"statusCode", "message", "path", "timestamp"}
    form = requests.post(f"{stack.api}/v1/user", data={"email": "x@example.com"}, timeout=30)
    assert form.status_code == 415
    # Bodyless requests need no content type, a POST included.
    assert requests.get(f"{stack.api}/v1/user/me", headers=user.headers, timeout=30).status_code == 200
    bodyless = requests.post(f"{stack.api}/v1/partner-access/validate-code", timeout=30)
    assert (bodyless.status_code, bodyless.json()["message"]) == (400, ["partnerAccessCode is required"])


def test_found_by_fuzzing(stack: RunningStack, auth: AuthEmulator) -> None:
    """Each was a 5xx or an undocumented answer in the CI fuzz run (tests/fuzz)."""
    # A decoded newline in a path segment reaches the function (it was flask's HTML 404).
    response = call(stack, "GET", "partner-feature/automatic-access-code/a%0Ab")
    assert (response.status_code, response.json()) == (200, None)
    # A Storyblok id beyond 64 bits in a hand-made resource was a 500 (Firestore refuses the integer).
    admin = super_admin(auth)
    body = {"storyblokId": 2**63, "storyblokUuid": "0b1d0000-0000-4000-8000-000000000001", "name": "x", "slug": "x"}
    body |= {"status": "published", "category": "conversation"}
    error(
        call(stack, "POST", "resource", admin, body), 400, ["storyblokId must not be greater than 9223372036854775807"]
    )
