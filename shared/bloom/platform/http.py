"""HTTP functions: the `http_function` decorator and everything between the raw request and a service call.

It resolves the caller (the authenticator `bloom.api` passes in), applies the route's rate limits, validates path,
query and body with pydantic, maps typed errors to the error body `{statusCode, message, path, timestamp}` once,
adds CORS, security headers and a request id, and logs one redacted JSON line per request.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, Unpack

from pydantic import BaseModel, TypeAdapter
from pydantic_core import PydanticSerializationError, to_json

from bloom.core.errors import BloomError, ErrorCatalogue, ErrorSpec, MethodNotAllowed, NotFound
from bloom.core.logging import OwnText, get_logger, log_context
from bloom.core.models import RequestModel
from bloom.core.settings import get_settings
from bloom.core.time import utcnow
from bloom.platform.auth import assert_not_emulated_in_production
from bloom.platform.registry import Deployment, DeploymentOptions, FunctionSpec, Role, Sdk, register
from bloom.platform.request_body import MAX_BODY_BYTES, refuse_oversized, validate_json_body, validate_model
from bloom.platform.request_headers import RequestHeaders, has_body
from bloom.platform.store.client import start_round_trip_count
from bloom.platform.store.request_checks import begin_request_checks, settle_checks

if TYPE_CHECKING:
    import flask
    from werkzeug.datastructures import Headers

    from bloom.platform.rate_limits import Clock, RateLimit


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


EMPTY = Empty()  # what a route declaring no body or no query gets (a model without fields: one instance does)


@dataclass(frozen=True)
class HttpContext(Generic[BodyT, QueryT]):
    body: BodyT
    query: QueryT
    path: dict[str, str]
    headers: Mapping[str, str]
    raw_body: bytes
    request_id: str
    client_ip: str
    principal: Principal | None  # what the authenticator returned; None on public routes


class Principal(Protocol):
    """The signed-in caller an authenticator resolves; per-user rate limits key on the verified token's uid."""

    @property
    def auth_uid(self) -> str: ...


ContextT = TypeVar("ContextT", bound=HttpContext[Any, Any])
Authenticator = Callable[[Mapping[str, str], Role, Callable[[str], None]], Principal | None]
"""Resolves the caller of a route from the request headers and the route's role (401/403 on failure), calling the
third argument with the uid as soon as the token is verified, before it reads anything (per-user rate limits start
counting then, alongside its reads)."""


@dataclass(frozen=True)
class Reply:
    """A handler's answer when the status depends on the request: sent as is, instead of the declared response."""

    status_code: int
    payload: Any  # already JSON-compatible
    headers: Mapping[str, str] = field(default_factory=dict)  # e.g. `Location` of a 302 to a signed URL


@dataclass(frozen=True)
class Text:
    """A success answer that is not JSON (an iCalendar feed): a route declared with `media_type=` returns a `str`,
    sent as is under that media type. Errors stay JSON."""

    body: str
    media_type: str


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
        "Access-Control-Expose-Headers": "X-Request-ID, Retry-After",
        "Vary": "Origin",
    }


def standard_headers(origin: str | None) -> dict[str, str]:
    """The headers every response carries: the security headers, and CORS when `origin` is an allowed one."""
    return {**SECURITY_HEADERS, **cors_headers(origin)}


@cache
def _standard_header_list(allowed_origin: str | None) -> tuple[tuple[str, str], ...]:
    """`standard_headers` for an origin already known to be allowed (or None), built once per origin: only the
    configured origins are ever keys, so what a client sends cannot grow the cache."""
    return tuple(standard_headers(allowed_origin).items())


def response_header_list(origin: str | None) -> list[tuple[str, str]]:
    """`standard_headers(origin)` as a fresh list of pairs (cheaper per request than building the mapping)."""
    allowed = origin if origin and origin in get_settings().cors_origins else None
    return list(_standard_header_list(allowed))


JSON = "application/json"


def json_text(value: Any) -> str:
    """A response body: `json.dumps(value)`, compact and in UTF-8 rather than escaped ASCII, at a fraction of its
    cost (pydantic's serializer); text UTF-8 cannot hold (an unpaired surrogate) falls back to `json.dumps`."""
    try:
        return to_json(value).decode()
    except PydanticSerializationError:
        return json.dumps(value)


def json_response(status: int, payload: Any, headers: Mapping[str, str] | list[tuple[str, str]]) -> flask.Response:
    import flask

    return flask.Response(json_text(payload), status=status, content_type=JSON, headers=headers)


def built_response(status: int, payload: Any, header_pairs: list[tuple[str, str]]) -> flask.Response:
    """`json_response` for headers the toolkit built from values known to be valid (the standard set of an allowed
    origin, a request id matching `_REQUEST_ID`, an error's own headers): werkzeug takes the list as it is instead of
    checking every header again, a third of the cost of a small response. A `Text` payload goes as its media type."""
    import flask

    if isinstance(payload, Text):
        return flask.Response(
            payload.body, status=status, content_type=payload.media_type, headers=_built_headers(header_pairs)
        )
    return flask.Response(json_text(payload), status=status, content_type=JSON, headers=_built_headers(header_pairs))


def _built_headers(header_pairs: list[tuple[str, str]]) -> Headers:
    from werkzeug.datastructures import Headers

    headers = Headers()
    headers._list = header_pairs  # werkzeug's own list, of pairs the toolkit already validated
    return headers


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


class HttpHandler(Generic[BodyT, QueryT]):
    """Turns a typed handler into a functions-framework HTTP function.

    `clock` is the time rate-limit windows are counted on: the real time, except where a test pins it (an
    integration test passing a fixed instant, the local gateway's test-only clock).
    """

    def __init__(
        self,
        *,
        name: str,
        method: str,
        path: str,
        role: Role,
        handler: Callable[[Any], Any],  # takes an instance of `context`
        authenticate: Authenticator,
        response: Any = None,
        body: type[BodyT] = Empty,  # type: ignore[assignment]
        query: type[QueryT] = Empty,  # type: ignore[assignment]
        status_code: int = 200,
        context: type[HttpContext[Any, Any]] = HttpContext,
        rate_limits: tuple[RateLimit, ...] = (),
        clock: Clock = utcnow,
        media_type: str = JSON,
        secret_path: bool = False,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.name, self.method, self.role = name, method, role
        self.own_name = OwnText(name)  # as log lines carry it (a declared name: nothing to redact)
        self.template = path
        self.pattern = path_pattern(path)
        self.body_model, self.query_model = body, query
        self.response = response
        self.status_code = status_code
        self.handler = handler
        self.authenticate = authenticate
        self.context = context
        self.ip_limits = tuple(limit for limit in rate_limits if limit.per == "ip")
        self.user_limits = tuple(limit for limit in rate_limits if limit.per == "user")
        self.clock = clock
        self.media_type, self.max_body_bytes = media_type, max_body_bytes
        self.secret_path = secret_path

    @cached_property
    def adapter(self) -> TypeAdapter[Any]:
        """The response's serializer, built on the first answer (not at import: see `CamelModel`'s `defer_build`)."""
        return TypeAdapter(self.response)

    def __call__(self, request: flask.Request) -> flask.Response:
        started = time.perf_counter()
        headers = RequestHeaders(request.environ)
        supplied_id = headers.get("x-request-id", "")
        request_id = supplied_id if supplied_id and _REQUEST_ID.match(supplied_id) else OwnText(uuid.uuid4())
        if request.method == "OPTIONS":
            return preflight(request)
        response_headers = response_header_list(headers.get("origin"))
        response_headers.append(("X-Request-ID", request_id))
        round_trips = start_round_trip_count()
        with log_context(function=self.own_name, request_id=request_id, **_trace(headers)):
            status, payload, error_headers = self._dispatch(request, headers, request_id)
            if get_settings().expose_metrics:
                response_headers.append(("X-Bloom-Firestore-Round-Trips", str(round_trips.count)))
            response_headers.extend(error_headers.items())
            severity = _log.error if status >= 500 else _log.warning if status >= 400 else _log.info
            path = OwnText(self.template) if self.secret_path else request.path
            severity(
                f"{request.method} {path} {status}",
                extra={
                    "httpRequest": {
                        "requestMethod": request.method,
                        "requestUrl": path,
                        "status": status,
                        "latency": OwnText(f"{time.perf_counter() - started:.4f}s"),
                    },
                    "firestoreRoundTrips": round_trips.count,
                },
            )
        return built_response(status, payload, response_headers)

    def _dispatch(
        self, request: flask.Request, headers: Mapping[str, str], request_id: str
    ) -> tuple[int, Any, dict[str, str]]:
        """(status, payload, headers the error adds). Rate limits count the call before the input is parsed: per IP
        before authentication, per user once the token is verified. Their verdicts arrive alongside the request's
        reads, before any side effect (`bloom.platform.store.request_checks`) and at the latest before the answer:
        a refusal (429) replaces whatever the handler would have answered."""
        begin_request_checks()
        try:
            try:
                return self._handle(request, headers, request_id)
            finally:
                settle_checks()
        except BloomError as exc:
            return exc.status_code, error_body(exc.status_code, exc.message, request.path), exc.headers
        except Exception:
            _log.exception("unhandled error")
            return 500, error_body(500, "Internal server error", request.path), {}

    def _start_user_limits(self, uid: str) -> None:
        """Count the call against the per-user limits, keyed on the verified token's uid."""
        if self.user_limits:
            from bloom.platform.rate_limits import start_rate_limits

            start_rate_limits(self.name, self.user_limits, uid, self.clock)

    def _handle(
        self, request: flask.Request, headers: Mapping[str, str], request_id: str
    ) -> tuple[int, Any, dict[str, str]]:
        if request.method != self.method:
            raise MethodNotAllowed(f"Cannot {request.method} {request.path}", allow=(self.method, "OPTIONS"))
        match = self.pattern.match(request.path)
        if match is None and self.pattern.groups:
            raise NotFound(f"Cannot {request.method} {request.path}")
        ip = client_ip(headers.get("x-forwarded-for", ""), request.remote_addr or "")
        if self.ip_limits:
            from bloom.platform.rate_limits import start_rate_limits

            start_rate_limits(self.name, self.ip_limits, ip, self.clock)
        principal = self.authenticate(headers, self.role, self._start_user_limits)
        refuse_oversized(request.content_length, self.max_body_bytes)  # before reading it
        raw_body = request.get_data(cache=True) if has_body(headers) else b""
        query = validate_model(self.query_model, dict(request.args.items())) if self.query_model is not Empty else EMPTY
        body = (
            validate_json_body(self.body_model, raw_body, request.mimetype) if self.body_model is not Empty else EMPTY
        )
        context = self.context(
            body=body,
            query=query,
            path=match.groupdict() if match else {},
            headers=headers,
            raw_body=raw_body,
            request_id=request_id,
            client_ip=ip,
            principal=principal,
        )
        result = self.handler(context)
        if isinstance(result, Reply):
            return result.status_code, result.payload, dict(result.headers)
        if self.media_type != JSON:
            return self.status_code, Text(result, self.media_type), {}
        return self.status_code, self.adapter.dump_python(result, mode="json", by_alias=True), {}


def documented_errors(
    declared: tuple[ErrorCatalogue | ErrorSpec, ...], *, uses_firestore: bool
) -> tuple[ErrorSpec, ...]:
    """The route's declared errors, one by one, plus contention (503) for a route that writes Firestore."""
    errors = [spec for entry in declared for spec in ([entry] if isinstance(entry, ErrorSpec) else entry)]
    if uses_firestore:
        from bloom.platform.store.unit_of_work import CONTENTION  # here: a function without Firestore never loads it

        errors.append(CONTENTION)
    return tuple(dict.fromkeys(errors))


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
    authenticate: Authenticator,
    context: type[ContextT],
    errors: tuple[ErrorCatalogue | ErrorSpec, ...] = (),
    body: type[BaseModel] = Empty,
    query: type[BaseModel] = Empty,
    tags: tuple[str, ...] = (),
    rate_limit: str | tuple[str, ...] = (),
    media_type: str = JSON,
    secret_path: bool = False,
    max_body_bytes: int = MAX_BODY_BYTES,  # a route taking files (it reads `raw_body`): 413 PAYLOAD_TOO_LARGE over it
    status: int | None = None,  # the success status a `Reply` sends (202 job, 204, 302), if not 201/200 by method
    **options: Unpack[DeploymentOptions],
) -> Callable[[Callable[[ContextT], Any]], Callable[[flask.Request], flask.Response]]:
    """Declare an HTTP function. The decorated name is the function's name and its deploy entry point.

    `errors` names the error catalogues (or single errors) the route's service can raise, for the OpenAPI
    document; the toolkit's own answers (400 validation, 401/403 by role, 429, 503 contention) are added to them.
    `rate_limit` is one limit or several, each `"<N>/<second|minute|hour|day> per <ip|user>"` (see `RateLimit`);
    calls over any of them get 429 with Retry-After. `per user` needs a role that signs the caller in.
    `media_type` other than JSON: the handler returns a `str` (`response=str`), answered as is under that type;
    `secret_path`: the path carries a credential (a calendar feed's token): log lines show the route's template.
    `options` are the function's `Deployment`: its secrets, SDKs, capabilities (IAM grants), the topics it
    publishes to, its memory and timeout.
    """
    needs_auth = role not in (Role.PUBLIC, Role.WEBHOOK)
    texts = (rate_limit,) if isinstance(rate_limit, str) else rate_limit
    rate_limits: tuple[RateLimit, ...] = ()
    if texts:  # imported here: a route without limits never loads the limiter (nor the store under it)
        from bloom.platform.rate_limits import RateLimit

        rate_limits = tuple(RateLimit.parse(text) for text in texts)
    if not needs_auth and any(limit.per == "user" for limit in rate_limits):
        raise ValueError(f"{method} {path}: a limit per user needs a role that signs the caller in, not {role}")
    required_sdks = (set(ROLE_SDKS) if needs_auth else set()) | ({Sdk.FIRESTORE} if rate_limits else set())
    declared = Deployment(**options)
    deployment = replace(declared, sdks=tuple(sorted(set(declared.sdks) | required_sdks)))

    def decorate(handler: Callable[[ContextT], Any]) -> Callable[[flask.Request], flask.Response]:
        assert_not_emulated_in_production()
        status_code = status or (201 if method == "POST" else 200)
        wrapped = HttpHandler(
            name=handler.__name__,
            method=method,
            path=path,
            role=role,
            handler=handler,
            authenticate=authenticate,
            response=response,
            body=body,
            query=query,
            status_code=status_code,
            context=context,
            rate_limits=rate_limits,
            media_type=media_type,
            secret_path=secret_path,
            max_body_bytes=max_body_bytes,
        )
        entry = http_entry(wrapped, handler)
        register(
            FunctionSpec(
                name=handler.__name__,
                module=handler.__module__,
                kind="http",
                entry=entry,
                summary=summary,
                deployment=deployment,
                method=method,
                path=path,
                role=role,
                body=None if body is Empty else body,
                query=None if query is Empty else query,
                response=response,
                status_code=status_code,
                media_type=media_type,
                tags=tags,
                errors=documented_errors(errors, uses_firestore=Sdk.FIRESTORE in deployment.sdks),
                rate_limits=rate_limits,
                extra={"http_handler": wrapped},
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
