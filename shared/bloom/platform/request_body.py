"""Request bodies and queries at the boundary: size and nesting bounds, JSON strictly typed, provider forms, and
pydantic validation with one readable message per problem."""

from __future__ import annotations

import json
import re
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from bloom.core.errors import BadRequest, ErrorCatalogue
from bloom.core.validation import MAX_NESTING, nesting_exceeds, validation_messages

ModelT = TypeVar("ModelT", bound=BaseModel)
MAX_BODY_BYTES = 256 * 1024  # far above any body the API takes; checked before parsing
ERRORS = ErrorCatalogue("http")
BODY_TOO_LARGE = ERRORS.declare(413, f"body must be at most {MAX_BODY_BYTES // 1024} KiB")
PAYLOAD_TOO_LARGE = ERRORS.declare(413, "body too large")  # a route with its own `max_body_bytes` (files)
UNSUPPORTED_MEDIA_TYPE = ERRORS.declare(415, "body must be sent as Content-Type: application/json")


def parse_json_body(raw: bytes) -> Any:
    """The JSON body: 413 beyond MAX_BODY_BYTES, 400 when not JSON, nested too deep or not valid Unicode."""
    if len(raw) > MAX_BODY_BYTES:
        raise BODY_TOO_LARGE.error()
    if not raw.strip():
        return {}
    if nesting_exceeds(raw):
        raise BadRequest([f"body must not be nested more than {MAX_NESTING} levels deep"])
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        raise BadRequest(["body must be valid JSON"]) from exc
    if _SURROGATE_ESCAPE.search(raw) and _has_unpaired_surrogate(parsed):
        raise BadRequest(["body must be valid Unicode text (no unpaired surrogates)"])
    return parsed


BodyFormat = Literal["json", "form"]


def parse_form_body(raw: bytes) -> dict[str, str]:
    """An `application/x-www-form-urlencoded` body as a flat map (`data[email]` stays one key; the first value
    of a repeated key wins): 413 beyond MAX_BODY_BYTES, 400 when not UTF-8."""
    from urllib.parse import parse_qsl

    if len(raw) > MAX_BODY_BYTES:
        raise BODY_TOO_LARGE.error()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(["body must be UTF-8 form data"]) from exc
    fields: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        fields.setdefault(name, value)
    return fields


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _has_unpaired_surrogate(parsed: Any) -> bool:
    """`\\ud800` alone parses to a string that cannot be encoded (Firestore and logs would fail on it)."""
    try:
        json.dumps(parsed, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def refuse_oversized(content_length: int | None, limit: int) -> None:
    """413 before a body is read: the JSON routes' bound, or a route's own (`max_body_bytes`, files)."""
    if (content_length or 0) > limit:
        raise (BODY_TOO_LARGE if limit == MAX_BODY_BYTES else PAYLOAD_TOO_LARGE).error()


def validate_model(model: type[ModelT], data: Any, prefix: str = "") -> ModelT:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadRequest(validation_messages(exc, prefix)) from exc


def is_json_media_type(mimetype: str) -> bool:
    """`application/json` or a structured `+json` type (parameters such as charset already stripped)."""
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def validate_json_body(model: type[ModelT], raw: bytes, mimetype: str) -> ModelT:
    """A JSON route's body, strictly typed: 415 when a body comes as anything but JSON (text, forms, multipart),
    the bounds of `parse_json_body`, then pydantic's strict mode on the JSON itself, so `"12"` or `true` is no
    number while ISO dates and enum values, which JSON can only carry as strings, still parse. No body is `{}`."""
    if len(raw) > MAX_BODY_BYTES:
        raise BODY_TOO_LARGE.error()
    if not raw.strip():
        raw = b"{}"
    elif not is_json_media_type(mimetype):
        raise UNSUPPORTED_MEDIA_TYPE.error()
    elif nesting_exceeds(raw) or _SURROGATE_ESCAPE.search(raw):
        parse_json_body(raw)  # the readable refusal of what it bounds (or nothing, for a surrogate pair)
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        raise BadRequest(validation_messages(exc)) from exc
