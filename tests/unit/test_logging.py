"""Redaction: no email, phone number or token may reach a log line."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bloom.core.logging import REDACTED, CloudLoggingFormatter, OwnText, log_context, redact, redact_text

JWT = "eyJhbGciOiJub25lIn0.eyJ1aWQiOiJhYmMifQ.c2ln"


def test_redacts_emails_tokens_and_phone_numbers_in_text() -> None:
    text = f"user Jane.Doe+x@Example.co.uk called +44 7700 900123 with Bearer {JWT} and {JWT}"
    cleaned = redact_text(text)
    assert "Example" not in cleaned and "Jane" not in cleaned
    assert "7700" not in cleaned
    assert "eyJ" not in cleaned
    assert cleaned.count(REDACTED) == 4


def test_keeps_dates_ids_and_short_numbers() -> None:
    text = "at 2026-11-21T16:24:32Z id 3f2b8c1e-9a7d-4e2f-8b1a-2c3d4e5f6a7b took 1234 ms"
    assert redact_text(text) == text


def test_sensitive_keys_lose_their_values_at_any_depth() -> None:
    cleaned = redact({"body": {"email": "a@b.co", "password": "hunter2", "count": 3, "items": [{"name": "Ann"}]}})
    assert cleaned == {"body": {"email": REDACTED, "password": REDACTED, "count": 3, "items": [{"name": REDACTED}]}}


def test_formatter_writes_one_redacted_json_line_with_cloud_logging_keys() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(CloudLoggingFormatter())
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with log_context(**{"logging.googleapis.com/trace": "projects/p/traces/abc"}):
            logger.warning("signup failed for bob@example.com", extra={"phone": "+1 555 010 9999", "attempt": 2})
            try:
                raise ValueError("token eyJx.eyJy.z for carol@example.org")
            except ValueError:
                logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["severity"] == "WARNING"
    assert first["logging.googleapis.com/trace"] == "projects/p/traces/abc"
    assert first["attempt"] == 2
    assert "@" not in stream.getvalue() and "555" not in stream.getvalue() and "eyJ" not in stream.getvalue()
    assert second["severity"] == "ERROR" and "ValueError" in second["stack_trace"]


def formatted(message: str, **fields: object) -> str:
    """The line CloudLoggingFormatter writes for a record carrying `fields` as `extra=`."""
    record = logging.LogRecord("bloom.http", logging.WARNING, __file__, 1, message, None, None)
    record.__dict__.update(fields)
    return CloudLoggingFormatter().format(record)


@pytest.mark.parametrize(
    "email",
    [
        "jöhn.døe@exämple.org",
        "用户@例子.公司",
        "用户@例子。公司",  # an ideographic full stop separates IDN labels too
        "josé@xn--exmple-cua.org",
        "Jane.Doe+x@Example.co.uk",
        "jane.doe%40example.com",  # percent-encoded in a path or query
    ],
)
def test_redacts_emails_with_non_ascii_characters_and_idn_domains(email: str) -> None:
    for text, expected in (
        (f"signup failed for {email}.", f"signup failed for {REDACTED}."),
        (f"GET /api/v1/resource/{email} 404", f"GET /api/v1/resource/{REDACTED} 404"),
        (f"contact:{email},", f"contact:{REDACTED},"),
    ):
        assert redact_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("header eyJhbGciOiJIUzI1NiJ9 only", f"header {REDACTED} only"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqYW5lIn0 unsigned", f"{REDACTED} unsigned"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqYW5lIn0. empty signature", f"{REDACTED}. empty signature"),
        (
            "GET /api/v1/resource/eyJhbGciOiJIUzI1NiJ9/eyJzdWIiOiJqYW5lIn0/c2ln 404",
            f"GET /api/v1/resource/{REDACTED} 404",
        ),
        ("token=eyJzdWIiOiJqYW5lIn0", f"token={REDACTED}"),
    ],
)
def test_redacts_jwt_fragments(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x07700900123", f"x{REDACTED}"),
        ("tel07700900123", f"tel{REDACTED}"),
        ("+447700900123abc", f"{REDACTED}abc"),
        ("req-07700900123", f"req-{REDACTED}"),
        ("GET /api/v1/user/tel07700900123 401", f"GET /api/v1/user/tel{REDACTED} 401"),
        ("call +44 (0)20 7946 0958 today", f"call {REDACTED} today"),
        ("GET /api/v1/resource/07700 900 123 404", f"GET /api/v1/resource/{REDACTED}"),  # %20 decoded in a path
        ("after 2026-11-21 07700900123", f"after 2026-11-21 {REDACTED}"),  # a date next to it does not hide it
        ("٠٧٧٠٠٩٠٠١٢٣", REDACTED),  # Arabic-Indic digits
    ],
)
def test_redacts_phone_numbers_glued_to_letters(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /api/v1/user?searchCriteria=x&limit=5 HTTP/1.1", f"GET /api/v1/user?{REDACTED} HTTP/1.1"),
        (
            "Max retries exceeded with url: /cdn/stories/123456?token=abc (Caused by",
            f"Max retries exceeded with url: /cdn/stories/123456?{REDACTED} (Caused by",
        ),
    ],
)
def test_redacts_query_strings(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-21",
        "2026-11-21T16:24:32.123456+00:00",
        "2026-11-21 16:24:32,123",
        "3f2b8c1e-9a7d-4e2f-8b1a-2c3d4e5f6a7b",
        "3f2b8c1e-9a7d-4e2f-8b1a-123456789012",
        "req-1732206272123",
        "req_01HF8ZJ6X1Q3Y2M4N5P6R7S8T9",
        "GET /api/v1/user/3f2b8c1e-9a7d-4e2f-8b1a-123456789012 200",
        "projects/bloom/traces/105445aa7843bc8bf206b12000100000",
        "4BF92F3577B34DA6A3CE929D0E0E4736",
        "00f067aa0ba90212",
        "1732206272",
        "1732206272123",
        "1732206272.123456",
        "GET /api/v1/resource/123456 404",
        "story 123456 synced in 0.0123s",
        "kWlK6YWeb4d2dEq1vQ0Zw6Qkr5N2",
        "<Session object at 0x7f8e4c1234567890>",
        "is it ok? yes=no",
        "@http_function(rate_limit='5/minute per ip')",
    ],
)
def test_keeps_what_we_need_to_debug(text: str) -> None:
    assert redact_text(text) == text


def test_formatter_redacts_the_request_path_and_a_supplied_request_id() -> None:
    jwt_fragment, email, phone = "eyJhbGciOiJIUzI1NiJ9", "jöhn.døe@exämple.org", "07700900123"
    path = f"/api/v1/resource/{email}"
    with log_context(request_id=f"req-{phone}", **{"logging.googleapis.com/spanId": jwt_fragment}):
        line = formatted(f"GET {path} 404", httpRequest={"requestUrl": path, "status": 404})
    entry = json.loads(line)
    assert entry["message"] == f"GET /api/v1/resource/{REDACTED} 404"
    assert entry["httpRequest"] == {"requestUrl": f"/api/v1/resource/{REDACTED}", "status": 404}
    assert entry["request_id"] == f"req-{REDACTED}"
    assert entry["logging.googleapis.com/spanId"] == REDACTED
    for secret in (jwt_fragment, email, phone):
        assert secret not in line and json.dumps(secret)[1:-1] not in line  # nor \\u-escaped


def test_formatter_redacts_values_it_logs_as_text() -> None:
    entry = json.loads(formatted("failed", reason=ValueError("no account for bob@example.com"), raw=b"+447700900123"))
    assert entry["reason"] == f"no account for {REDACTED}"
    assert entry["raw"] == f"b'{REDACTED}'"


def test_text_the_code_built_itself_is_passed_as_it_is_and_only_that() -> None:
    digits = "07700 900123"  # what a phone number looks like
    assert redact({"latency": OwnText(digits), "note": digits}) == {"latency": digits, "note": REDACTED}
    assert redact([OwnText(digits)]) == [digits] and type(redact(OwnText(digits))) is OwnText
