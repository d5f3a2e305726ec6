"""JSON log lines with Cloud Logging's keys, with personal data redacted from every line."""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9\-._~+/]+=*")
_JWT = re.compile(r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")
_PHONE_CANDIDATE = re.compile(r"(?<![\w.])\+?\(?\d[\d\s().\-]{7,}\d(?![\w])")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_SENSITIVE_KEYS = frozenset(
    {"email", "phone", "password", "token", "authorization", "name", "idtoken", "refreshtoken", "secret"}
)
REDACTED = "[REDACTED]"
_log_context: ContextVar[Mapping[str, Any] | None] = ContextVar("bloom_log_context", default=None)


def _redact_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    if 9 <= digits <= 15 and not _ISO_DATE.match(text):
        return REDACTED
    return text


def redact_text(text: str) -> str:
    """Remove emails, bearer tokens, JWTs and phone numbers from free text."""
    text = _BEARER.sub("Bearer " + REDACTED, text)
    text = _JWT.sub(REDACTED, text)
    text = _EMAIL.sub(REDACTED, text)
    return _PHONE_CANDIDATE.sub(_redact_phone, text)


def redact(value: Any, key: str = "") -> Any:
    """Redact a structured value: sensitive keys lose their value, strings are scrubbed."""
    if key.replace("_", "").lower() in _SENSITIVE_KEYS and value not in (None, ""):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {str(k): redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


_SEVERITY = {
    logging.DEBUG: "DEBUG",
    logging.INFO: "INFO",
    logging.WARNING: "WARNING",
    logging.ERROR: "ERROR",
    logging.CRITICAL: "CRITICAL",
}
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "taskName"}


class CloudLoggingFormatter(logging.Formatter):
    """One JSON object per line; structured fields from `extra=` and the request context are kept."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": _SEVERITY.get(record.levelno, "DEFAULT"),
            "message": record.getMessage(),
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
        }
        entry.update(_log_context.get() or {})
        for attr, value in vars(record).items():
            if attr not in _STANDARD_ATTRS and not attr.startswith("_"):
                entry[attr] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["stack_trace"] = "".join(traceback.format_exception(*record.exc_info))
        return json.dumps(redact(entry), default=str)


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Attach fields (trace, request id, function name) to every line logged inside the block."""
    token = _log_context.set({**(_log_context.get() or {}), **fields})
    try:
        yield
    finally:
        _log_context.reset(token)


_configured = False


def configure_logging() -> None:
    """Route the root logger to stdout as JSON lines; idempotent."""
    global _configured
    if _configured:
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(CloudLoggingFormatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    for noisy in ("urllib3", "google", "grpc", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _configured = True


def get_logger(name: str) -> logging.Logger:
    configure_logging()
    return logging.getLogger(name)
