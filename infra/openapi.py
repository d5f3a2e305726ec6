"""The OpenAPI 3.1 document, generated from the registered HTTP functions and their pydantic models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import JsonSchemaMode

from bloom.platform.registry import FunctionSpec, Role
from bloom.platform.request_body import BODY_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE

REF = "#/components/schemas/{model}"
RETRY_AFTER = {"description": "Seconds until the limit's window ends", "schema": {"type": "integer", "minimum": 1}}


class ErrorBody(BaseModel):
    statusCode: int  # noqa: N815 - wire name
    message: str | list[str]
    path: str
    timestamp: str


def _role_text(role: Role | None) -> str:
    return {
        Role.PUBLIC: "Public.",
        Role.WEBHOOK: "Public; authenticated by a signature over the raw body.",
        Role.USER: "Requires a signed-in Bloom user.",
        Role.PARTNER_ADMIN: "Requires an active partner admin of an active partner.",
        Role.SUPER_ADMIN: "Requires a super admin signed in with a verified email and a second factor.",
        Role.PRACTICE_USER: "Requires a signed-in Bloom user; a therapist or practice admin needs a second factor.",
        Role.THERAPIST: "Requires a therapist signed in with a second factor.",
        Role.PRACTICE_STAFF: "Requires a therapist or practice admin signed in with a second factor.",
        Role.PRACTICE_ADMIN: "Requires a practice admin (or super admin) signed in with a second factor.",
    }.get(role or Role.PUBLIC, "")


def build_openapi(specs: dict[str, FunctionSpec], server_url: str = "/") -> dict[str, Any]:
    http_specs = [spec for spec in specs.values() if spec.kind == "http"]
    inputs: list[tuple[tuple[str, str], JsonSchemaMode, TypeAdapter[Any]]] = [
        (("error", "body"), "serialization", TypeAdapter(ErrorBody))
    ]
    for spec in http_specs:
        if spec.body is not None:
            inputs.append(((spec.name, "body"), "validation", TypeAdapter(spec.body)))
        if spec.query is not None:
            inputs.append(((spec.name, "query"), "validation", TypeAdapter(spec.query)))
        inputs.append(((spec.name, "response"), "serialization", TypeAdapter(spec.response)))
    schemas, definitions = TypeAdapter.json_schemas(inputs, ref_template=REF)

    def schema(name: str, part: str) -> dict[str, Any]:
        return schemas[((name, part), "validation" if part in ("body", "query") else "serialization")]

    error = {"application/json": {"schema": schemas[(("error", "body"), "serialization")]}}
    paths: dict[str, dict[str, Any]] = {}
    for spec in http_specs:
        parameters: list[dict[str, Any]] = [
            {"name": param, "in": "path", "required": True, "schema": {"type": "string"}} for param in spec.path_params
        ]
        if spec.query is not None:
            query_schema = spec.query.model_json_schema(ref_template=REF)
            for field, field_schema in query_schema.get("properties", {}).items():
                parameters.append(
                    {
                        "name": field,
                        "in": "query",
                        "required": field in query_schema.get("required", []),
                        "schema": field_schema,
                    }
                )
        operation: dict[str, Any] = {
            "operationId": spec.name,
            "summary": spec.summary,
            "description": _role_text(spec.role),
            "tags": list(spec.tags),
            "parameters": parameters,
            "responses": {
                # 204 and a 302 redirect carry no body: no content is documented, so none is expected
                str(spec.status_code): (
                    {"description": "Success"}
                    if spec.status_code in (204, 302)
                    else {
                        "description": "Success",
                        "content": {spec.media_type: {"schema": schema(spec.name, "response")}},
                    }
                ),
                "400": {"description": "Invalid input", "content": error},
            },
            "x-bloom-function": spec.deploy_name,
        }
        for status, description in spec.also_answers:
            operation["responses"][str(status)] = {
                "description": description,
                "content": {"application/json": {"schema": {"type": "null"}}},
            }
        if spec.body is not None:
            operation["responses"]["413"] = {"description": BODY_TOO_LARGE.message, "content": error}
            if spec.role is not Role.WEBHOOK:  # a provider's webhook may post forms; JSON routes take only JSON
                operation["responses"]["415"] = {"description": UNSUPPORTED_MEDIA_TYPE.message, "content": error}
            operation["requestBody"] = {
                # An empty body is taken as `{}`: it is required only when the model has required fields.
                "required": any(field.is_required() for field in spec.body.model_fields.values()),
                "content": {"application/json": {"schema": schema(spec.name, "body")}},
            }
        if spec.role not in (Role.PUBLIC, Role.WEBHOOK):
            operation["security"] = [{"firebase": []}]
            operation["responses"]["401"] = {"description": "Missing, invalid or expired token", "content": error}
            if spec.role is not Role.USER:
                operation["responses"]["403"] = {"description": "Signed in without the role", "content": error}
        if spec.rate_limits:
            operation["responses"]["429"] = {
                "description": "Rate limited: " + ", ".join(str(limit) for limit in spec.rate_limits),
                "headers": {"Retry-After": RETRY_AFTER},
                "content": error,
            }
        for error_spec in spec.errors:
            described = operation["responses"].setdefault(str(error_spec.status), {"description": "", "content": error})
            described["description"] = "; ".join(filter(None, [described["description"], error_spec.message]))
        paths.setdefault(spec.path or "", {})[(spec.method or "get").lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Bloom API", "version": "1.0.0", "description": "Generated from the function registry."},
        "servers": [{"url": server_url}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {"firebase": {"type": "http", "scheme": "bearer", "bearerFormat": "Firebase ID token"}},
        },
    }
