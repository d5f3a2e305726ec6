"""Invariants of the registry that every later function must keep."""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import datetime
from typing import get_type_hints
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from openapi_spec_validator import validate

from bloom.platform.http import path_pattern
from bloom.platform.registry import Deployment, DeploymentOptions, FunctionSpec, Role
from infra.manifest import load_everything
from infra.openapi import build_openapi

SPECS = load_everything()


def test_http_routes_are_unique_and_under_api() -> None:
    routes = [(spec.method, spec.path) for spec in SPECS.values() if spec.kind == "http"]
    assert len(routes) == len(set(routes))
    assert all(path and path.startswith("/api/") for _, path in routes)


@pytest.mark.parametrize("spec", [s for s in SPECS.values() if s.kind == "scheduled"], ids=lambda s: s.name)
def test_schedules_are_valid_cron_in_a_real_time_zone(spec: FunctionSpec) -> None:
    assert spec.cron and croniter.is_valid(spec.cron)
    croniter(spec.cron, datetime.now(ZoneInfo(spec.time_zone or ""))).get_next(datetime)


def test_functions_that_need_a_user_declare_firestore_and_auth() -> None:
    for spec in SPECS.values():
        if spec.role not in (None, Role.PUBLIC, Role.WEBHOOK):
            assert {"google.cloud.firestore", "firebase_admin.auth"} <= {sdk.value for sdk in spec.deployment.sdks}


def test_the_decorators_keyword_options_are_the_deployment_fields() -> None:
    """Every function decorator takes `**options: Unpack[DeploymentOptions]` and builds a `Deployment` from them."""
    import bloom.platform.registry as registry

    options = get_type_hints(DeploymentOptions, vars(registry))
    assert options == {
        field.name: get_type_hints(Deployment, vars(registry))[field.name] for field in fields(Deployment)
    }


def test_a_jobs_timeout_is_longer_unless_it_says_otherwise() -> None:
    scheduled = [spec for spec in SPECS.values() if spec.kind == "scheduled"]
    assert scheduled and all(spec.deployment.timeout_s >= 60 for spec in scheduled)


def test_path_pattern_extracts_parameters() -> None:
    match = path_pattern("/api/v1/user/{id}").match("/api/v1/user/abc-1")
    assert match is not None and match.groupdict() == {"id": "abc-1"}
    assert path_pattern("/api/v1/user/{id}").match("/api/v1/user/abc/extra") is None
    assert path_pattern("/api/v1/user").match("/api/v1/user/") is not None


def test_no_two_routes_differ_only_in_parameter_names() -> None:
    """`/partner/{name}` beside `/partner/{id}` is one path to OpenAPI and API Gateway, which reject it."""
    templates: dict[str, set[str]] = {}
    for spec in SPECS.values():
        if spec.kind == "http" and spec.path:
            templates.setdefault(re.sub(r"{[^}]+}", "{}", spec.path), set()).add(spec.path)
    assert {shape: paths for shape, paths in templates.items() if len(paths) > 1} == {}


def test_openapi_document_is_valid() -> None:
    validate(build_openapi(SPECS))


def test_openapi_lists_every_http_function_once() -> None:
    document = build_openapi(SPECS)
    operations = [op["operationId"] for methods in document["paths"].values() for op in methods.values()]
    assert sorted(operations) == sorted(s.name for s in SPECS.values() if s.kind == "http")
    assert document["openapi"] == "3.1.0"


def test_openapi_lists_the_errors_each_route_declares() -> None:
    """Each route documents the statuses its error catalogue can raise, with the contract's messages."""
    paths = build_openapi(SPECS)["paths"]
    validate_code = paths["/api/v1/partner-access/validate-code"]["post"]["responses"]
    assert "ALREADY_IN_USE" in validate_code["409"]["description"]
    assert "CODE_EXPIRED" in validate_code["400"]["description"]
    assert paths["/api/v1/user/{id}"]["delete"]["responses"]["404"]["description"] == "USER NOT FOUND"
    assert "Too many simultaneous changes" in paths["/api/v1/partner"]["post"]["responses"]["503"]["description"]
    documented = {
        (spec.name, str(error.status)) for spec in SPECS.values() if spec.kind == "http" for error in spec.errors
    }
    for name, status in documented:
        spec = SPECS[name]
        assert status in paths[spec.path or ""][(spec.method or "").lower()]["responses"], (name, status)


def test_a_body_is_required_only_when_its_model_has_required_fields() -> None:
    """An empty body is taken as `{}`: PATCH user with none changes nothing and is no schema violation."""
    paths = build_openapi(SPECS)["paths"]
    assert paths["/api/v1/user"]["patch"]["requestBody"]["required"] is False
    assert paths["/api/v1/user"]["post"]["requestBody"]["required"] is True


def test_a_handler_replying_with_its_own_status_declares_it() -> None:
    """A handler that answers `Reply(202, …)` (or 204, 302) declares `status=` so the OpenAPI document lists what
    it sends (the fuzzer found `POST patients/me/export` answering an undocumented 202)."""
    import ast
    from pathlib import Path

    from infra.manifest import load_everything

    specs = load_everything()
    replied: dict[str, set[int]] = {}
    for module in Path(__file__).resolve().parents[2].joinpath("functions").glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name in specs:
                for call in ast.walk(node):
                    if (
                        isinstance(call, ast.Call)
                        and isinstance(call.func, ast.Name)
                        and call.func.id == "Reply"
                        and call.args
                        and isinstance(call.args[0], ast.Constant)
                        and isinstance(call.args[0].value, int)
                    ):
                        replied.setdefault(node.name, set()).add(call.args[0].value)
    assert replied, "the scan found no Reply at all: it is broken"
    undeclared = {name: codes for name, codes in replied.items() if codes != {specs[name].status_code}}
    assert undeclared == {}
