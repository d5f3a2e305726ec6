"""The HTTP toolkit between a raw request and a handler: validation, error bodies, no leaked internals."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

import flask
import pytest
from pydantic import BaseModel, Field

from bloom.core.errors import Conflict
from bloom.core.models import RequestModel
from bloom.platform.http import Empty, HttpContext, HttpHandler
from bloom.platform.registry import Role
from infra.stack_runner import ROOT

app = flask.Flask(__name__)


class CreateThing(RequestModel):
    name: str = Field(min_length=1, max_length=50)
    public: bool


class Kind(StrEnum):
    COURSE = "course"


class Query(RequestModel):
    limit: int = Field(default=10, le=50)


class Thing(BaseModel):
    id: str
    name: str


def create(ctx: HttpContext[CreateThing, Query]) -> Thing:
    if ctx.body.name == "taken":
        raise Conflict("THING_ALREADY_EXISTS")
    if ctx.body.name == "crash":
        raise RuntimeError("internal detail: /srv/secret-path token=abc")
    return Thing(id=ctx.path["id"], name=ctx.body.name)


def public_post(path: str, handler: Callable[[Any], Any], **declared: Any) -> HttpHandler[Any, Any]:
    """A public POST route, built as the decorator builds one (not registered)."""
    return HttpHandler(
        name=handler.__name__,
        method="POST",
        path=path,
        role=Role.PUBLIC,
        handler=handler,
        authenticate=lambda *_: None,
        status_code=201,
        **declared,
    )


handler = public_post("/api/v1/thing/{id}", create, response=Thing, body=CreateThing, query=Query)


def call(
    body: str | dict[str, str],
    path: str = "/api/v1/thing/t1",
    method: str = "POST",
    content_type: str | None = "application/json",
) -> tuple[int, Any]:
    with app.test_request_context(path, method=method, data=body, content_type=content_type):
        response = handler(flask.request)
    return response.status_code, json.loads(response.get_data())


def test_valid_body_gives_201_and_the_response_model() -> None:
    assert call('{"name": "a", "public": true, "ignored": 1}') == (201, {"id": "t1", "name": "a"})


def test_every_validation_problem_is_listed() -> None:
    status, body = call('{"name": "' + "x" * 51 + '"}')
    assert status == 400
    assert set(body) == {"statusCode", "message", "path", "timestamp"}
    assert body["path"] == "/api/v1/thing/t1"
    assert sorted(body["message"]) == ["name must be at most 50 characters", "public is required"]


def test_query_is_validated_too() -> None:
    status, body = call('{"name": "a", "public": true}', path="/api/v1/thing/t1?limit=99")
    assert (status, body["message"]) == (400, ["limit must not be greater than 50"])


def test_malformed_json_and_non_object_bodies_are_400() -> None:
    assert call("{not json")[1]["message"] == ["body must be valid JSON"]
    assert call("[1, 2]")[0] == 400


def test_domain_errors_keep_their_status_and_message() -> None:
    assert call('{"name": "taken", "public": false}')[1] | {"timestamp": ""} == {
        "statusCode": 409,
        "message": "THING_ALREADY_EXISTS",
        "path": "/api/v1/thing/t1",
        "timestamp": "",
    }


def test_an_unexpected_error_is_500_without_internals() -> None:
    status, body = call('{"name": "crash", "public": false}')
    assert (status, body["message"]) == (500, "Internal server error")
    assert "secret" not in json.dumps(body)


def test_wrong_method_is_405() -> None:
    assert call("", method="GET")[0] == 405


def test_a_body_in_anything_but_json_is_415() -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b"):
        status, body = call('{"name": "a", "public": true}', content_type=content_type)
        assert (status, body["message"]) == (415, "body must be sent as Content-Type: application/json")
        assert set(body) == {"statusCode", "message", "path", "timestamp"}
    assert call({"name": "a", "public": "1"}, content_type=None)[0] == 415  # a form, as a browser posts it
    assert call('{"name": "a", "public": true}', content_type="application/json; charset=utf-8")[0] == 201


def test_no_body_needs_no_content_type() -> None:
    status, body = call("", content_type=None)  # taken as `{}`: validated, not refused for its type
    assert (status, body["message"]) == (400, ["name is required", "public is required"])


class Typed(RequestModel):
    count: int
    flag: bool
    at: datetime
    kind: Kind


def typed(ctx: HttpContext[Typed, Empty]) -> dict[str, Any]:
    return ctx.body.model_dump(mode="json")


typed_handler = public_post("/api/v1/typed", typed, response=dict[str, Any], body=Typed)


def post_typed(body: dict[str, Any]) -> tuple[int, Any]:
    with app.test_request_context("/api/v1/typed", method="POST", json=body):
        response = typed_handler(flask.request)
    return response.status_code, json.loads(response.get_data())


def test_json_bodies_are_strictly_typed_but_dates_and_enums_parse_from_their_strings() -> None:
    valid = {"count": 12, "flag": True, "at": "2026-12-06T20:00:00Z", "kind": "course"}
    assert post_typed(valid) == (201, valid | {"at": "2026-12-06T20:00:00Z"})
    status, body = post_typed(valid | {"count": "12", "flag": 1})
    assert (status, body["message"]) == (400, ["count must be an integer", "flag must be a boolean"])
    assert post_typed(valid | {"count": True})[1]["message"] == ["count must be an integer"]
    assert post_typed(valid | {"kind": "nope"})[1]["message"] == ["kind must be one of the following values: course"]


def test_empty_placeholder_accepts_nothing_in_particular() -> None:
    assert Empty.model_validate({"anything": 1}) == Empty()


def test_a_deployed_function_refuses_to_start_with_the_auth_emulator_configured() -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": f"{ROOT / 'shared'}:{ROOT}",
        "K_SERVICE": "ping",
        "FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import functions.health"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0 and "refusing to start" in result.stderr
    env.pop("FIREBASE_AUTH_EMULATOR_HOST")
    assert (
        subprocess.run([sys.executable, "-c", "import functions.health"], env=env, timeout=60, check=False).returncode
        == 0
    )


def test_client_ip_never_trusts_what_the_client_wrote(monkeypatch: pytest.MonkeyPatch) -> None:
    from bloom.core.settings import get_settings
    from bloom.platform.http import client_ip

    monkeypatch.setenv("BLOOM_TRUSTED_PROXY_HOPS", "2")
    get_settings.cache_clear()
    try:
        assert client_ip("6.6.6.6, 203.0.113.9, 10.1.2.3", "10.9.9.9") == "203.0.113.9"
        assert client_ip("203.0.113.9, 10.1.2.3", "10.9.9.9") == "203.0.113.9"
        assert client_ip("10.1.2.3", "10.9.9.9") == "10.9.9.9"  # fewer entries than proxies: the peer
        monkeypatch.setenv("BLOOM_TRUSTED_PROXY_HOPS", "0")
        get_settings.cache_clear()
        assert client_ip("6.6.6.6", "10.9.9.9") == "10.9.9.9"
    finally:
        get_settings.cache_clear()


def test_a_direct_call_with_another_method_is_405_with_allow() -> None:
    with app.test_request_context("/api/v1/thing/t1", method="DELETE"):
        response = handler(flask.request)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST, OPTIONS"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert json.loads(response.get_data())["message"] == "Cannot DELETE /api/v1/thing/t1"


def test_headers_read_from_the_environ_are_the_request_headers_by_lower_case_name() -> None:
    from bloom.platform.request_headers import RequestHeaders, has_body

    sent = {"Origin": "http://localhost:3000", "X-Request-ID": "req-1", "Authorization": "Bearer t", "X-Empty": ""}
    with app.test_request_context("/", method="POST", headers=sent, data=b"{}", content_type="application/json"):
        headers = RequestHeaders(flask.request.environ)
        expected = {name.lower(): value for name, value in flask.request.headers.items()}
        # one by one, as a request reads them, then all together
        assert {name: headers.get(name) for name in expected} == expected and headers["x-empty"] == ""
        assert headers.get("X-Request-ID") is None and headers.get("x_request_id") is None  # lower case, dashed
        assert (headers.get("transfer-encoding"), "missing" not in headers) == (None, True)
        assert headers == expected and len(headers) == len(expected)
        assert has_body(headers)
    with app.test_request_context("/", method="GET"):
        assert RequestHeaders(flask.request.environ).get("content-type", "none") == "none"  # WSGI's empty value
    assert not has_body({"content-length": "0"}) and not has_body({})
    assert has_body({"transfer-encoding": "chunked"})  # a body of unknown length is read too


def test_response_json_is_utf8_and_text_utf8_cannot_hold_falls_back_to_escapes() -> None:
    from bloom.platform.http import json_text

    assert json.loads(json_text({"name": "Zoë 😀", "n": [1, None, True]})) == {"name": "Zoë 😀", "n": [1, None, True]}
    assert json_text("\ud800") == '"\\ud800"'
