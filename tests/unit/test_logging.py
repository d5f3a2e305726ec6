"""Redaction: no email, phone number or token may reach a log line."""

from __future__ import annotations

import io
import json
import logging

from bloom.core.logging import REDACTED, CloudLoggingFormatter, log_context, redact, redact_text

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
