"""Black-box checks of the gateway and the HTTP toolkit, over HTTP as the frontend calls them."""

from __future__ import annotations

import requests

from infra.stack_runner import RunningStack

FRONTEND = "http://localhost:3000"


def test_ping_with_security_headers_and_request_id(stack: RunningStack) -> None:
    response = requests.get(f"{stack.api}/ping", headers={"X-Request-ID": "req-123"}, timeout=10)
    assert (response.status_code, response.json()) == (200, "ok")
    assert response.headers["X-Request-ID"] == "req-123"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "max-age" in response.headers["Strict-Transport-Security"]
    generated = requests.get(f"{stack.api}/ping", headers={"X-Request-ID": "bad id with spaces"}, timeout=10)
    assert generated.headers["X-Request-ID"] != "bad id with spaces" and len(generated.headers["X-Request-ID"]) == 36


def test_ping_database_reads_firestore_once(stack: RunningStack) -> None:
    response = requests.get(f"{stack.api}/ping/database", timeout=10)
    assert (response.status_code, response.json()) == (200, "ok")
    assert response.headers["X-Bloom-Firestore-Round-Trips"] == "1"


def test_cors_only_for_the_configured_origin(stack: RunningStack) -> None:
    allowed = requests.get(f"{stack.api}/ping", headers={"Origin": FRONTEND}, timeout=10)
    assert allowed.headers["Access-Control-Allow-Origin"] == FRONTEND
    other = requests.get(f"{stack.api}/ping", headers={"Origin": "https://evil.example"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = requests.options(
        f"{stack.api}/v1/user/me",
        timeout=10,
        headers={
            "Origin": FRONTEND,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code == 204
    assert "PATCH" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]


def test_unknown_route_and_wrong_method_have_the_error_body(stack: RunningStack) -> None:
    missing = requests.get(f"{stack.api}/v1/nothing-here", timeout=10)
    assert missing.status_code == 404
    body = missing.json()
    assert set(body) == {"statusCode", "message", "path", "timestamp"}
    assert body["statusCode"] == 404 and body["path"] == "/api/v1/nothing-here"
    wrong = requests.delete(f"{stack.api}/ping", timeout=10)
    assert wrong.status_code == 405 and wrong.json()["statusCode"] == 405


def test_openapi_and_swagger_are_served(stack: RunningStack) -> None:
    document = requests.get(f"{stack.api}/openapi.json", timeout=10).json()
    assert document["openapi"] == "3.1.0" and "/api/ping" in document["paths"]
    root = stack.api.removesuffix("/api")
    page = requests.get(f"{root}/swagger", timeout=10)
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert requests.get(f"{root}/swagger/static/swagger-ui-bundle.js", timeout=10).status_code == 200
