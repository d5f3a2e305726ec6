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


def assert_security_headers(response: requests.Response) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_a_method_the_path_does_not_serve_is_405_with_allow(stack: RunningStack) -> None:
    wrong = requests.put(f"{stack.api}/v1/user", headers={"Origin": FRONTEND}, timeout=10)
    assert wrong.status_code == 405
    assert wrong.headers["Allow"] == "DELETE, GET, PATCH, POST, OPTIONS"
    assert wrong.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert_security_headers(wrong)
    assert requests.delete(f"{stack.api}/ping", timeout=10).headers["Allow"] == "GET, OPTIONS"


def test_the_gateways_own_404_has_cors_and_security_headers(stack: RunningStack) -> None:
    preflight = requests.options(
        f"{stack.api}/v1/nothing-here", headers={"Origin": FRONTEND, "Access-Control-Request-Method": "GET"}, timeout=10
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == FRONTEND
    missing = requests.get(f"{stack.api}/v1/nothing-here", headers={"Origin": FRONTEND}, timeout=10)
    assert missing.status_code == 404
    assert missing.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert missing.headers["Access-Control-Allow-Credentials"] == "true"
    assert_security_headers(missing)
    other = requests.get(f"{stack.api}/v1/nothing-here", headers={"Origin": "https://evil.example"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in other.headers
    assert_security_headers(other)
    root = stack.api.removesuffix("/api")
    outside_api = requests.get(f"{root}/nothing-here", headers={"Origin": FRONTEND}, timeout=10)
    assert outside_api.status_code == 404 and outside_api.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert_security_headers(outside_api)


def test_openapi_and_swagger_carry_security_headers(stack: RunningStack) -> None:
    document = requests.get(f"{stack.api}/openapi.json", headers={"Origin": FRONTEND}, timeout=10)
    assert document.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert_security_headers(document)
    root = stack.api.removesuffix("/api")
    page = requests.get(f"{root}/swagger", timeout=10)
    assert_security_headers(page)
    policy = dict(directive.strip().split(" ", 1) for directive in page.headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert "<script>" not in page.text  # the policy lets no inline script run: every script is a same-origin file
    for script in ("/swagger/static/swagger-ui-bundle.js", "/swagger/init.js"):
        assert f'<script src="{script}">' in page.text
        served = requests.get(f"{root}{script}", timeout=10)
        assert served.status_code == 200 and served.headers["Content-Type"].startswith("text/javascript")
        assert_security_headers(served)
    assert "/api/openapi.json" in requests.get(f"{root}/swagger/init.js", timeout=10).text


def test_headers_too_large_are_431_with_the_gateways_headers(stack: RunningStack) -> None:
    huge_cookie = "session=" + "x" * 64 * 1024
    refused = requests.get(f"{stack.api}/ping", headers={"Origin": FRONTEND, "Cookie": huge_cookie}, timeout=10)
    assert refused.status_code == 431
    assert refused.json() | {"timestamp": ""} == {
        "statusCode": 431,
        "message": "Request Header Fields Too Large",
        "path": "/api/ping",
        "timestamp": "",
    }
    assert refused.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert_security_headers(refused)
    too_many = requests.get(f"{stack.api}/ping", headers={f"X-Extra-{n}": "1" for n in range(101)}, timeout=10)
    assert too_many.status_code == 431 and "Access-Control-Allow-Origin" not in too_many.headers
    assert_security_headers(too_many)
    assert requests.get(f"{stack.api}/ping", timeout=10).status_code == 200  # the server still answers
