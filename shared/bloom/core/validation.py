"""Readable validation messages (one string per problem, e.g. `name must be at most 50 characters`), and the
bounds of JSON we accept and of values Firestore can store."""

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


MAX_NESTING = 32  # JSON bodies: arrays and objects inside each other
FIRESTORE_MAX_DEPTH = 20  # maps and arrays inside each other in one stored field
FIRESTORE_MAX_KEY_BYTES = 1500
INT64 = (-(2**63), 2**63 - 1)


def nesting_exceeds(raw: bytes, limit: int = MAX_NESTING) -> bool:
    """Whether JSON text nests arrays/objects deeper than `limit` (checked before parsing, so a deep body can
    never reach the recursive parser). Cheap for ordinary bodies: they have fewer brackets than the limit."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def storable_problems(value: Any, *, max_depth: int = FIRESTORE_MAX_DEPTH) -> list[str]:
    """Why Firestore would refuse to store this JSON value (empty, reserved or over-long keys, arrays directly in
    arrays, integers beyond 64 bits, nesting deeper than `max_depth`, unpaired surrogates); empty when storable."""
    problems: list[str] = []

    def visit(item: Any, depth: int, in_array: bool) -> None:
        if depth > max_depth:
            problems.append(f"must not be nested more than {max_depth} levels deep")
        elif isinstance(item, dict):
            for key, child in item.items():
                key_bytes = _utf8(str(key))
                if key_bytes is None or not key or len(key_bytes) > FIRESTORE_MAX_KEY_BYTES:
                    problems.append("keys must be 1 to 1500 bytes of text")
                elif key.startswith("__") and key.endswith("__"):
                    problems.append("keys must not look like __reserved__")
                else:
                    visit(child, depth + 1, in_array=False)
        elif isinstance(item, list):
            if in_array:
                problems.append("must not hold an array directly inside an array")
            for child in item:
                visit(child, depth + 1, in_array=True)
        elif isinstance(item, bool) or item is None or isinstance(item, float):
            return
        elif isinstance(item, int):
            if not INT64[0] <= item <= INT64[1]:
                problems.append("integers must fit in 64 bits")
        elif isinstance(item, str) and _utf8(item) is None:
            problems.append("text must be valid Unicode (no unpaired surrogates)")

    visit(value, 0, in_array=False)
    return list(dict.fromkeys(problems))


def _utf8(text: str) -> bytes | None:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None
