"""The local gateway: every HTTP function under `/api`, as API Gateway routes them in production, plus the
push endpoints the Pub/Sub emulator delivers subscriber messages to, the OpenAPI document and Swagger UI."""

from __future__ import annotations

from pathlib import Path

import flask

from bloom.core.errors import MethodNotAllowed, NotFound
from bloom.core.logging import get_logger
from bloom.platform.events import MalformedDelivery, delivery_from_http
from bloom.platform.http import error_body, json_response, preflight, route_table
from infra.manifest import load_everything
from infra.openapi import build_openapi

SWAGGER_DIR = Path(__file__).resolve().parent / "node_modules" / "swagger-ui-dist"
SWAGGER_PAGE = """<!doctype html>
<html><head><title>Bloom API</title><link rel="stylesheet" href="/swagger/static/swagger-ui.css"></head>
<body><div id="swagger-ui"></div><script src="/swagger/static/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/api/openapi.json", dom_id: "#swagger-ui"});</script></body></html>"""
_log = get_logger("bloom.gateway")


def create_gateway() -> flask.Flask:
    specs = load_everything()
    routes = route_table()
    openapi = build_openapi(specs)
    app = flask.Flask("bloom-gateway")

    @app.get("/api/openapi.json")
    def openapi_document() -> flask.Response:
        return flask.jsonify(openapi)

    @app.get("/swagger")
    def swagger() -> flask.Response:
        return flask.Response(SWAGGER_PAGE, mimetype="text/html")

    @app.get("/swagger/static/<path:name>")
    def swagger_static(name: str) -> flask.Response:
        return flask.send_from_directory(SWAGGER_DIR, name)

    @app.route("/api/<path:_>", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
    def api(_: str) -> flask.Response:
        request = flask.request
        # Behave as the production proxies do: append the connecting peer to X-Forwarded-For.
        peer = request.remote_addr or ""
        forwarded = request.environ.get("HTTP_X_FORWARDED_FOR")
        request.environ["HTTP_X_FORWARDED_FOR"] = f"{forwarded}, {peer}" if forwarded else peer
        if request.method == "OPTIONS":
            return preflight(request)
        path_matches = [spec for method, pattern, spec in routes if pattern.match(request.path)]
        for spec in path_matches:
            if spec.method == request.method:
                response: flask.Response = spec.entry(request)
                return response
        error = (MethodNotAllowed if path_matches else NotFound)(f"Cannot {request.method} {request.path}")
        return json_response(error.status_code, error_body(error.status_code, error.message, request.path), {})

    @app.post("/_/events/<name>")
    def push(name: str) -> flask.Response:
        spec = specs.get(name)
        if spec is None or "deliver" not in spec.extra:
            return flask.Response(status=404)
        try:
            delivery = delivery_from_http(dict(flask.request.headers), flask.request.get_data())
        except MalformedDelivery as exc:
            _log.error("malformed push delivery acknowledged", extra={"function": name, "reason": str(exc)})
            return flask.Response(status=204)
        try:
            outcome = spec.extra["deliver"](delivery)
        except Exception:
            return flask.Response(status=500)
        return flask.Response(outcome, status=200, mimetype="text/plain")

    return app
