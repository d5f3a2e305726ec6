"""HTTP functions: the `http_function` decorator and everything between the raw request and a service call.

It resolves the caller, validates path, query and body with pydantic, maps typed errors to the error body
`{statusCode, message, path, timestamp}` once, adds CORS, security headers and a request id, and logs one
redacted JSON line per request.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from bloom.api import authenticate
from bloom.core.errors import BadRequest, BloomError, MethodNotAllowed, NotFound, Unauthorized
from bloom.core.logging import get_logger, log_context
from bloom.core.models import RequestModel
from bloom.core.settings import get_settings
from bloom.core.time import utcnow
from bloom.core.validation import validation_messages
from bloom.platform.auth import assert_not_emulated_in_production
from bloom.platform.registry import FunctionSpec, Role, Sdk, register
from bloom.platform.store.client import start_round_trip_count
from bloom.users.schemas import Caller

if TYPE_CHECKING:
    import flask


BodyT = TypeVar("BodyT", bound=BaseModel)
QueryT = TypeVar("QueryT", bound=BaseModel)
_log = get_logger("bloom.http")
ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type, X-Request-ID, X-Forwarded-Authorization"
SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")
ROLE_SDKS = (Sdk.FIRESTORE, Sdk.FIREBASE_AUTH)


class Empty(RequestModel):
    """Placeholder for a function that takes no body or no query."""


@dataclass(frozen=True)
class HttpContext(Generic[BodyT, QueryT]):
    body: BodyT
    query: QueryT
    path: dict[str, str]
    headers: dict[str, str]
    raw_body: bytes
    request_id: str
    client_ip: str
    caller_or_none: Caller | None

    @property
    def caller(self) -> Caller:
        if self.caller_or_none is None:
            raise Unauthorized("Unauthorized: missing required Authorization token")
        return self.caller_or_none


@dataclass(frozen=True)
class Reply:
    """A handler's answer when the status depends on the request: sent as is, instead of the declared response."""

    status_code: int
    payload: Any  # already JSON-compatible


def path_pattern(template: str) -> re.Pattern[str]:
    """`/api/v1/user/{id}` → a regex with one named group per parameter."""
    escaped = re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
    return re.compile("^" + re.sub(r"{(\w+)}", r"(?P<\1>[^/]+)", escaped) + "/?$")


def error_body(status: int, message: str | list[str], path: str) -> dict[str, Any]:
    return {"statusCode": status, "message": message, "path": path, "timestamp": utcnow().isoformat()}


def _trace(headers: Mapping[str, str]) -> dict[str, str]:
    trace_id = span_id = ""
    cloud = headers.get("x-cloud-trace-context", "")
    parent = headers.get("traceparent", "")
    if cloud:
        trace_id, _, rest = cloud.partition("/")
        span_id = rest.split(";", 1)[0]
    elif parent.count("-") == 3:
        _, trace_id, span_id, _ = parent.split("-")
    if not re.fullmatch(r"[0-9a-fA-F]{16,32}", trace_id):
        return {}
    fields = {"logging.googleapis.com/trace": f"projects/{get_settings().project_id}/traces/{trace_id}"}
    if span_id:
        fields["logging.googleapis.com/spanId"] = span_id
    return fields


def client_ip(forwarded_for: str, remote_addr: str) -> str:
    """The caller's address: the entry our own proxies appended to X-Forwarded-For, counted from the right.

    Entries further left were written by the client and can be anything, so they are never used (a rate limit
    keyed on them could be dodged at will). `BLOOM_TRUSTED_PROXY_HOPS` is how many proxies in front of the
    function append to the header; 0 means the peer connecting to us is the caller.
    """
    hops = get_settings().trusted_proxy_hops
    entries = [entry.strip() for entry in forwarded_for.split(",") if entry.strip()]
    if hops <= 0 or len(entries) < hops:
        return remote_addr
    return entries[-hops]


def cors_headers(origin: str | None) -> dict[str, str]:
    if not origin or origin not in get_settings().cors_origins:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Expose-Headers": "X-Request-ID",
        "Vary": "Origin",
    }


def json_response(status: int, payload: Any, headers: Mapping[str, str]) -> flask.Response:
    import flask

    response = flask.Response(json.dumps(payload), status=status, mimetype="application/json")
    response.headers.update(headers)
    return response


def preflight(request: flask.Request) -> flask.Response:
    import flask

    response = flask.Response(status=204)
    response.headers.update(SECURITY_HEADERS)
    cors = cors_headers(request.headers.get("Origin"))
    if cors:
        response.headers.update(cors)
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = "3600"
    return response


def parse_json_body(raw: bytes) -> Any:
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise BadRequest(["body must be valid JSON"]) from exc


def validate_model(model: type[BodyT], data: Any, prefix: str = "") -> BodyT:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadRequest(validation_messages(exc, prefix)) from exc


class HttpHandler(Generic[BodyT, QueryT]):
    """Turns a typed handler into a functions-framework HTTP function."""

    def __init__(
        self,
        spec_name: str,
        method: str,
        path: str,
        role: Role,
        body: type[BodyT],
        query: type[QueryT],
        response: Any,
        status_code: int,
        handler: Callable[[HttpContext[BodyT, QueryT]], Any],
    ) -> None:
        self.name, self.method, self.role = spec_name, method, role
        self.template = path
        self.pattern = path_pattern(path)
        self.body_model, self.query_model = body, query
        self.adapter: TypeAdapter[Any] = TypeAdapter(response)
        self.status_code = status_code
        self.handler = handler

    def __call__(self, request: flask.Request) -> flask.Response:
        started = time.perf_counter()
        headers = {k.lower(): v for k, v in request.headers.items()}
        supplied_id = headers.get("x-request-id", "")
        request_id = supplied_id if _REQUEST_ID.match(supplied_id) else str(uuid.uuid4())
        base_headers = {**SECURITY_HEADERS, **cors_headers(request.headers.get("Origin")), "X-Request-ID": request_id}
        round_trips = start_round_trip_count()
        with log_context(function=self.name, request_id=request_id, **_trace(headers)):
            if request.method == "OPTIONS":
                return preflight(request)
            status, payload = self._dispatch(request, headers, request_id)
            if get_settings().expose_metrics:
                base_headers["X-Bloom-Firestore-Round-Trips"] = str(round_trips[0])
            latency = time.perf_counter() - started
            severity = _log.error if status >= 500 else _log.warning if status >= 400 else _log.info
            severity(
                f"{request.method} {request.path} {status}",
                extra={
                    "httpRequest": {
                        "requestMethod": request.method,
                        "requestUrl": request.path,
                        "status": status,
                        "latency": f"{latency:.4f}s",
                    },
                    "firestoreRoundTrips": round_trips[0],
                },
            )
            return json_response(status, payload, base_headers)

    def _dispatch(self, request: flask.Request, headers: dict[str, str], request_id: str) -> tuple[int, Any]:
        try:
            if request.method != self.method:
                raise MethodNotAllowed(f"Cannot {request.method} {request.path}")
            match = self.pattern.match(request.path)
            if match is None and self.pattern.groups:
                raise NotFound(f"Cannot {request.method} {request.path}")
            caller = authenticate(headers, self.role)
            raw_body = request.get_data(cache=True)
            query = validate_model(self.query_model, {k: v for k, v in request.args.items()})
            body = (
                validate_model(self.body_model, parse_json_body(raw_body)) if self.body_model is not Empty else Empty()
            )
            context = HttpContext(
                body=body,
                query=query,
                path=match.groupdict() if match else {},
                headers=headers,
                raw_body=raw_body,
                request_id=request_id,
                client_ip=client_ip(headers.get("x-forwarded-for", ""), request.remote_addr or ""),
                caller_or_none=caller,
            )
            result = self.handler(context)  # type: ignore[arg-type]
            if isinstance(result, Reply):
                return result.status_code, result.payload
            return self.status_code, self.adapter.dump_python(result, mode="json", by_alias=True)
        except BloomError as exc:
            return exc.status_code, error_body(exc.status_code, exc.message, request.path)
        except Exception:
            _log.exception("unhandled error")
            return 500, error_body(500, "Internal server error", request.path)


def http_entry(
    wrapped: HttpHandler[Any, Any], handler: Callable[..., Any]
) -> Callable[[flask.Request], flask.Response]:
    """The functions-framework entry point for `wrapped`, named and documented as the declared handler."""

    def entry(request: flask.Request) -> flask.Response:
        return wrapped(request)

    entry.__name__ = entry.__qualname__ = handler.__name__
    entry.__doc__ = handler.__doc__
    entry.__module__ = handler.__module__
    return entry


def http_function(
    method: str,
    path: str,
    *,
    role: Role,
    response: Any,
    summary: str,
    body: type[BaseModel] = Empty,
    query: type[BaseModel] = Empty,
    secrets: tuple[str, ...] = (),
    sdks: tuple[Sdk, ...] = (),
    memory_mb: int = 256,
    timeout_s: int = 60,
    tags: tuple[str, ...] = (),
) -> Callable[[Callable[[HttpContext[Any, Any]], Any]], Callable[[flask.Request], flask.Response]]:
    """Declare an HTTP function. The decorated name is the function's name and its deploy entry point."""

    def decorate(handler: Callable[[HttpContext[Any, Any]], Any]) -> Callable[[flask.Request], flask.Response]:
        assert_not_emulated_in_production()
        status_code = 201 if method == "POST" else 200
        wrapped = HttpHandler(handler.__name__, method, path, role, body, query, response, status_code, handler)
        entry = http_entry(wrapped, handler)
        needs_auth = role not in (Role.PUBLIC, Role.WEBHOOK)
        register(
            FunctionSpec(
                name=handler.__name__,
                module=handler.__module__,
                kind="http",
                entry=entry,
                summary=summary,
                secrets=secrets,
                sdks=tuple(sorted(set(sdks) | (set(ROLE_SDKS) if needs_auth else set()))),
                memory_mb=memory_mb,
                timeout_s=timeout_s,
                method=method,
                path=path,
                role=role,
                body=None if body is Empty else body,
                query=None if query is Empty else query,
                response=response,
                status_code=status_code,
                tags=tags,
            )
        )
        return entry

    return decorate


@cache
def route_table() -> list[tuple[str, re.Pattern[str], FunctionSpec]]:
    """(method, compiled path, spec) for every registered HTTP function; used by the local gateway."""
    from bloom.platform.registry import registered

    routes = [spec for spec in registered().values() if spec.kind == "http"]
    # Literal paths win over templated ones (`/user/cypress` before `/user/{id}`), as in API Gateway.
    routes.sort(key=lambda spec: (len(spec.path_params), spec.path or "", spec.name))
    return [(spec.method or "", path_pattern(spec.path or ""), spec) for spec in routes]
