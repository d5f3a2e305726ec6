"""The function registry: every deployed function is declared once, next to its handler.

The local gateway, `terraform/functions.json`, the OpenAPI document, topics, push subscriptions and
scheduler jobs are all derived from what is registered here.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from pydantic import BaseModel

from bloom.core.errors import ErrorSpec
from bloom.platform.topics import Topic

if TYPE_CHECKING:
    from bloom.platform.rate_limits import RateLimit


class Role(StrEnum):
    PUBLIC = "public"
    USER = "user"
    PARTNER_ADMIN = "partner_admin"
    SUPER_ADMIN = "super_admin"
    # The practice: any user, but a therapist or practice admin must have signed in with a second factor.
    PRACTICE_USER = "practice_user"
    THERAPIST = "therapist"
    PRACTICE_STAFF = "practice_staff"  # a therapist or a practice admin
    PRACTICE_ADMIN = "practice_admin"  # super admins included
    WEBHOOK = "webhook"  # public, authenticated by a signature over the raw body


class Sdk(StrEnum):
    """Heavy SDKs a function may declare; the value is the module its cold start imports."""

    FIRESTORE = "google.cloud.firestore"
    PUBSUB = "google.cloud.pubsub_v1"
    FIREBASE_AUTH = "firebase_admin.auth"
    REQUESTS = "requests"
    SLACK = "slack_sdk"
    STORAGE = "google.cloud.storage"
    WEBAUTHN = "webauthn"


class Capability(StrEnum):
    """What a function may do beyond its own Firestore documents and the topics it emits: each is an IAM grant
    that only the functions declaring it get (`terraform/functions.tf`)."""

    FIREBASE_AUTH_ADMIN = "firebase_auth_admin"  # create, read, update and delete Firebase Auth accounts
    OUTBOX_SWEEP = "outbox_sweep"  # republish any event left in the outbox: publish to every event topic
    UPLOADS_BUCKET = "uploads_bucket"  # read, write and delete objects of the private uploads bucket
    SIGN_AS_SELF = "sign_as_self"  # sign blobs as its own service account (signed URLs, Firebase custom tokens)


@dataclass(frozen=True)
class Deployment:
    """How a function is deployed, whatever triggers it: the secrets it reads, the heavy SDKs it imports, the
    capabilities (IAM grants) its code needs, the topics it publishes to, its memory and its timeout."""

    secrets: tuple[str, ...] = ()
    sdks: tuple[Sdk, ...] = ()
    uses: tuple[Capability, ...] = ()
    emits: tuple[Topic[Any], ...] = ()  # the topics its code publishes to (through the outbox)
    memory_mb: int = 256
    timeout_s: int = 60


class DeploymentOptions(TypedDict, total=False):
    """`Deployment`'s fields as the keyword arguments every function decorator takes (`**options`), so a
    declaration reads `@http_function(..., sdks=(Sdk.PUBSUB,), memory_mb=512)`; a unit test keeps the two equal."""

    secrets: tuple[str, ...]
    sdks: tuple[Sdk, ...]
    uses: tuple[Capability, ...]
    emits: tuple[Topic[Any], ...]
    memory_mb: int
    timeout_s: int


Kind = Literal["http", "event", "scheduled"]
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,50}[a-z0-9]$")
_PATH_PARAM = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")


@dataclass(frozen=True)
class FunctionSpec:
    """Everything about one function that deployment, routing and documentation need."""

    name: str
    module: str
    kind: Kind
    entry: Callable[..., Any]
    summary: str
    deployment: Deployment = Deployment()
    # http
    method: str | None = None
    path: str | None = None
    role: Role | None = None
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None
    status_code: int = 200
    media_type: str = "application/json"  # of the success answer
    tags: tuple[str, ...] = ()
    errors: tuple[ErrorSpec, ...] = ()  # what the route's service can raise (for the OpenAPI document)
    rate_limits: tuple[RateLimit, ...] = ()
    also_answers: tuple[tuple[int, str], ...] = ()  # other successes, answered `null`: (status, description)
    # event / scheduled
    topic: Topic[Any] | None = None
    cron: str | None = None
    time_zone: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def deploy_name(self) -> str:
        """Cloud Functions names allow hyphens, not underscores."""
        return self.name.replace("_", "-")

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(_PATH_PARAM.findall(self.path or ""))


_REGISTRY: dict[str, FunctionSpec] = {}


def register(spec: FunctionSpec) -> None:
    if not _NAME.match(spec.name):
        raise ValueError(f"function name {spec.name!r} must be snake_case, 2-52 characters")
    existing = _REGISTRY.get(spec.name)
    if existing is not None and existing.module != spec.module:
        raise ValueError(f"function {spec.name} registered twice ({existing.module}, {spec.module})")
    if spec.kind == "http":
        for other in _REGISTRY.values():
            if other.name != spec.name and (other.method, other.path) == (spec.method, spec.path):
                raise ValueError(f"route {spec.method} {spec.path} registered by {other.name} and {spec.name}")
    _REGISTRY[spec.name] = spec


@dataclass(frozen=True)
class ServiceSpec:
    """A Cloud Run service: what a function cannot be (a Socket.IO endpoint holds websockets for minutes). It is
    built from the same bundle, and the gateway routes the paths under `prefixes` to it."""

    name: str
    module: str
    app: str  # the module's attribute holding the ASGI application
    summary: str
    prefixes: tuple[str, ...]
    deployment: Deployment = Deployment()
    concurrency: int = 80  # requests (sockets) one instance serves at once: sized by the service's bench
    max_instances: int = 10
    session_affinity: bool = True  # long-polling needs every request of a session on the same instance

    @property
    def deploy_name(self) -> str:
        return self.name.replace("_", "-")


_SERVICES: dict[str, ServiceSpec] = {}


def register_service(spec: ServiceSpec) -> None:
    if not _NAME.match(spec.name):
        raise ValueError(f"service name {spec.name!r} must be snake_case, 2-52 characters")
    existing = _SERVICES.get(spec.name)
    if existing is not None and existing.module != spec.module:
        raise ValueError(f"service {spec.name} registered twice ({existing.module}, {spec.module})")
    _SERVICES[spec.name] = spec


def registered_services() -> dict[str, ServiceSpec]:
    return dict(sorted(_SERVICES.items()))


FUNCTIONS_PACKAGE = "functions"
_NOT_FUNCTIONS = frozenset({"main"})


def discover(package: str = FUNCTIONS_PACKAGE) -> dict[str, FunctionSpec]:
    """Import every module of the functions package and return the registry, sorted by name."""
    root = importlib.import_module(package)
    for module in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        if module.name.rsplit(".", 1)[-1] not in _NOT_FUNCTIONS and not module.name.rsplit(".", 1)[-1].startswith("_"):
            importlib.import_module(module.name)
    return dict(sorted(_REGISTRY.items()))


def registered() -> dict[str, FunctionSpec]:
    return dict(sorted(_REGISTRY.items()))


def job_topic_name(function_name: str) -> str:
    return f"jobs.{function_name.replace('_', '-')}"
