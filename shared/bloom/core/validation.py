"""Readable validation messages: one string per problem, e.g. `name must be at most 50 characters`."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


def _field(loc: tuple[Any, ...], prefix: str) -> str:
    parts = [str(part) for part in loc if not isinstance(part, int)]
    name = ".".join(parts) or "body"
    return f"{prefix}{name}"


def _message(error: Any, prefix: str) -> str:
    field = _field(tuple(error.get("loc", ())), prefix)
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    templates = {
        "missing": "{f} is required",
        "string_too_long": "{f} must be at most {max_length} characters",
        "string_too_short": "{f} must be at least {min_length} characters",
        "too_long": "{f} must contain at most {max_length} items",
        "too_short": "{f} must contain at least {min_length} items",
        "string_type": "{f} must be a string",
        "bool_type": "{f} must be a boolean",
        "bool_parsing": "{f} must be a boolean",
        "int_type": "{f} must be an integer",
        "int_parsing": "{f} must be an integer",
        "int_from_float": "{f} must be an integer",
        "greater_than_equal": "{f} must not be less than {ge}",
        "less_than_equal": "{f} must not be greater than {le}",
        "greater_than": "{f} must be greater than {gt}",
        "less_than": "{f} must be less than {lt}",
        "enum": "{f} must be one of the following values: {expected}",
        "literal_error": "{f} must be one of the following values: {expected}",
        "list_type": "{f} must be an array",
        "dict_type": "{f} must be an object",
        "model_type": "{f} must be an object",
        "model_attributes_type": "{f} must be an object",
        "json_invalid": "{f} must be valid JSON",
        "string_pattern_mismatch": "{f} has an invalid format",
        "datetime_from_date_parsing": "{f} must be an ISO-8601 date",
        "datetime_parsing": "{f} must be an ISO-8601 date",
    }
    template = templates.get(kind)
    if template is None:
        detail = str(error.get("msg", "is invalid"))
        detail = detail.removeprefix("Value error, ")
        if "email" in detail.lower():
            return f"{field} must be an email"
        return f"{field}: {detail}"
    values = {key: str(value).replace("'", "").replace(" or ", ", ") for key, value in ctx.items()}
    return template.format(f=field, **values)


def validation_messages(exc: ValidationError, prefix: str = "") -> list[str]:
    return [_message(error, prefix) for error in exc.errors(include_url=False, include_input=False)]
