"""The local gateway: every HTTP function under `/api`, as API Gateway routes them in production, plus the
push endpoints the Pub/Sub emulator delivers subscriber messages to, the OpenAPI document and Swagger UI. The path
prefixes of the registry's Cloud Run services (`/socket.io/`) are relayed byte for byte to the service's process,
websocket upgrades included, so the frontend reaches the live chat on the API origin as in production."""

from __future__ import annotations

import io
import socket
import threading
from contextlib import suppress
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

import flask
from werkzeug.routing import PathConverter
from werkzeug.serving import WSGIRequestHandler

from bloom.core.errors import MethodNotAllowed, NotFound
from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.platform.events import MalformedDelivery, delivery_from_http
from bloom.platform.http import error_body, json_response, preflight, route_table, standard_headers
from infra.manifest import load_everything
from infra.openapi import build_openapi

SWAGGER_DIR = Path(__file__).resolve().parent / "node_modules" / "swagger-ui-dist"
SWAGGER_PAGE = """<!doctype html>
<html><head><title>Bloom API</title><link rel="stylesheet" href="/swagger/static/swagger-ui.css"></head>
<body><div id="swagger-ui"></div><script src="/swagger/static/swagger-ui-bundle.js"></script>
<script src="/swagger/init.js"></script></body></html>"""
SWAGGER_INIT = 'SwaggerUIBundle({url: "/api/openapi.json", dom_id: "#swagger-ui"});\n'
# Swagger UI loads only its own files and calls only this origin. It sets inline styles and its CSS draws its icons
# as data: SVGs; no inline script runs (the page's one is SWAGGER_INIT, served as a file).
SWAGGER_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_log = get_logger("bloom.gateway")


def gateway_headers(path: str, origin: str | None) -> dict[str, str]:
    """The headers of a response the gateway produces itself: those of every function response (security headers,
    CORS for an allowed origin), so a browser sees a 404 as a 404 and not as a CORS failure; plus the CSP of Swagger
    UI on its pages."""
    headers = standard_headers(origin)
    if path == "/swagger" or path.startswith("/swagger/"):
        headers["Content-Security-Policy"] = SWAGGER_CSP
    return headers


class AnyPath(PathConverter):
    """A path whose segments may hold any character, a decoded newline included (flask's `path` stops at one,
    so `/api/v1/partner/a%0Ab` would get flask's HTML 404 instead of reaching the function as API Gateway does)."""

    regex = "(?s:[^/].*?)"


class PinnableClock:
    """The time rate-limit windows are counted on in the local stack: the real time, or the instant a test pinned
    with `PUT /_/rate-limit-clock {"now": ISO-8601}` (`DELETE` unpins), so a test never waits for a new window.
    Only the local gateway installs it: deployed functions keep the real clock."""

    def __init__(self) -> None:
        self.pinned: datetime | None = None

    def __call__(self) -> datetime:
        return self.pinned or utcnow()


def create_gateway() -> flask.Flask:
    specs = load_everything()
    routes = route_table()
    openapi = build_openapi(specs)
    app = flask.Flask("bloom-gateway")
    clock = PinnableClock()
    for spec in specs.values():
        if "http_handler" in spec.extra:
            spec.extra["http_handler"].clock = clock

    @app.put("/_/rate-limit-clock")
    def pin_clock() -> flask.Response:
        pinned = datetime.fromisoformat(str((flask.request.get_json(silent=True) or {}).get("now", "")))
        if pinned.tzinfo is None:
            return flask.Response("'now' needs a UTC offset", status=400, mimetype="text/plain")
        clock.pinned = pinned
        return flask.Response(status=204)

    @app.delete("/_/rate-limit-clock")
    def unpin_clock() -> flask.Response:
        clock.pinned = None
        return flask.Response(status=204)

    @app.get("/api/openapi.json")
    def openapi_document() -> flask.Response:
        return flask.jsonify(openapi)

    @app.get("/swagger")
    def swagger() -> flask.Response:
        return flask.Response(SWAGGER_PAGE, mimetype="text/html")

    @app.get("/swagger/init.js")
    def swagger_init() -> flask.Response:
        return flask.Response(SWAGGER_INIT, mimetype="text/javascript")

    @app.get("/swagger/static/<path:name>")
    def swagger_static(name: str) -> flask.Response:
        return flask.send_from_directory(SWAGGER_DIR, name)

    app.url_map.converters["anypath"] = AnyPath

    @app.route("/api/<anypath:_>", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
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
                flask.g.function_response = True
                response: flask.Response = spec.entry(request)
                return response
        message = f"Cannot {request.method} {request.path}"
        served = sorted({spec.method or "" for spec in path_matches})
        error = MethodNotAllowed(message, allow=(*served, "OPTIONS")) if served else NotFound(message)
        return json_response(
            error.status_code, error_body(error.status_code, error.message, request.path), error.headers
        )

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

    @app.after_request
    def add_gateway_headers(response: flask.Response) -> flask.Response:
        """Every response but a function's own (which must carry its headers itself, as in production): the
        gateway's 404/405, OpenAPI, Swagger UI (`no-store` replaces the `no-cache` of its files), flask's own errors."""
        if not flask.g.get("function_response"):
            request = flask.request
            response.headers.update(gateway_headers(request.path, request.headers.get("Origin")))
        return response

    return app


class _HeaderReader(io.BufferedIOBase):
    """The request stream while http.server reads the header block: notes the Origin header on the way, as the
    headers are lost when the block is refused."""

    def __init__(self, stream: io.BufferedIOBase) -> None:
        super().__init__()
        self.stream = stream
        self.origin: str | None = None

    def readline(self, size: int | None = -1, /) -> bytes:
        line = self.stream.readline(size)
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() == b"origin":
            self.origin = value.strip().decode("latin-1")
        return line


Route = tuple[str, tuple[str, int]]  # a path prefix and the address of the service serving it
RELAY_CHUNK = 65536


class GatewayRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler, except for the errors Python's HTTP server answers itself before the app runs
    (`http.server.BaseHTTPRequestHandler.parse_request`: 431 for a header line over 64 KiB or more than 100
    headers, 400 for a malformed request line; `handle_one_request`: 414 for a request line over 64 KiB). They get
    the error body and the gateway's headers, CORS included when the Origin header came before the refused line."""

    _headers_read: _HeaderReader

    def parse_request(self) -> bool:
        stream = self.rfile
        self.rfile = self._headers_read = _HeaderReader(stream)
        try:
            return super().parse_request()
        finally:
            self.rfile = stream

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        self.log_error("code %d, message %s, %s", code, message, explain)
        # `command` is set, with `path`, only once this request's line has been parsed.
        path = urlsplit(self.path).path if self.command else ""
        origin = self._headers_read.origin if self.command else None
        response = json_response(code, error_body(code, HTTPStatus(code).phrase, path), gateway_headers(path, origin))
        self.send_response(code)
        for name, value in [*response.headers.items(), ("Connection", "close")]:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.get_data())

    services: ClassVar[tuple[Route, ...]] = ()

    def run_wsgi(self) -> None:
        upstream = next((address for prefix, address in self.services if self.path.startswith(prefix)), None)
        if upstream is None:
            super().run_wsgi()
            return
        self.close_connection = True
        try:
            with socket.create_connection(upstream, timeout=None) as service:
                self._relay(service)
        except OSError:
            self.log_error("service at %s unreachable", upstream)

    def _relay(self, service: socket.socket) -> None:
        """Forward this request to the service, then its answer back. A websocket upgrade stays a pipe both ways
        until either side closes; any other request is forwarded with its body and `Connection: close`, so the
        next request of the client's connection comes back through the gateway."""
        upgrade = self.headers.get("Upgrade", "").lower() == "websocket"
        head = [f"{self.command} {self.path} {self.request_version}"]
        peer = self.client_address[0]
        forwarded = self.headers.get("X-Forwarded-For")
        for name, value in self.headers.items():
            if name.lower() == "x-forwarded-for" or (not upgrade and name.lower() in ("connection", "keep-alive")):
                continue
            head.append(f"{name}: {value}")
        head.append(f"X-Forwarded-For: {forwarded}, {peer}" if forwarded else f"X-Forwarded-For: {peer}")
        if not upgrade:
            head.append("Connection: close")
        service.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        if upgrade:
            threading.Thread(target=self._pipe_client_to, args=(service,), daemon=True).start()
        else:
            length = int(self.headers.get("Content-Length") or 0)
            while length > 0:
                chunk = self.rfile.read(min(length, RELAY_CHUNK))
                if not chunk:
                    break
                service.sendall(chunk)
                length -= len(chunk)
        with suppress(OSError):
            while chunk := service.recv(RELAY_CHUNK):
                self.wfile.write(chunk)

    def _pipe_client_to(self, service: socket.socket) -> None:
        with suppress(OSError, ValueError):
            while chunk := self.rfile.read1(RELAY_CHUNK):
                service.sendall(chunk)
        with suppress(OSError):
            service.shutdown(socket.SHUT_WR)


def request_handler(services: list[Route]) -> type[GatewayRequestHandler]:
    """The gateway's request handler, relaying the services' path prefixes to their processes."""
    return type("ServicesGatewayRequestHandler", (GatewayRequestHandler,), {"services": tuple(services)})
