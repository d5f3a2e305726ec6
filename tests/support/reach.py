"""What each declared function's code can reach: the static call graph (`tests.support.callgraph`) from its
handler, and for an HTTP function also from the toolkit's authentication. Declaration checks compare it with what
the function declares (`tests/unit/test_declarations.py`, `tests/unit/test_dashboards.py`)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from bloom.platform.registry import FunctionSpec, Role
from infra.manifest import load_everything
from tests.support.callgraph import CallGraph, Node

ROOT = Path(__file__).resolve().parents[2]
SPECS = load_everything()
AUTHENTICATE = Node("bloom.api", "authenticate")


@cache
def graph() -> CallGraph:
    return CallGraph([(ROOT / "shared", "bloom"), (ROOT, "functions")])


def hands_off(spec: FunctionSpec) -> FunctionSpec | None:
    """The worker of a webhook receiver that hands deliveries off, if `spec` is one."""
    worker = SPECS.get(f"{spec.name}_worker")
    return worker if spec.role == Role.WEBHOOK and worker is not None else None


def roots(spec: FunctionSpec) -> list[Node]:
    """Where the function's own code starts: its handler (for a webhook worker, the webhook's handler)."""
    if hands_off(spec) is not None:
        return [AUTHENTICATE]  # the handler runs in the worker; the receiver only verifies and records
    name = spec.name
    if not graph().has(Node(spec.module, name)) and name.endswith("_worker"):
        name = name.removesuffix("_worker")
    handler = Node(spec.module, name)
    assert graph().has(handler), f"{spec.name}: no function {handler} in the source to start the analysis from"
    return [handler, AUTHENTICATE] if spec.kind == "http" else [handler]


def reached(spec: FunctionSpec) -> set[Node]:
    return graph().reachable(roots(spec))
