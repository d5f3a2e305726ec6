"""JSON log lines with Cloud Logging's keys, with personal data redacted from every line."""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

# Characters that end an email address in free text, JSON, paths and query strings.
_NOT_IN_EMAIL = r"\s\"'`<>()\[\]{},;:/\\?#&=@\uff20"
_DOTS = r".\u3002\uff0e\uff61"  # the label separators IDNA accepts
_EMAIL = re.compile(
    rf"(?<![^{_NOT_IN_EMAIL}])[^{_NOT_IN_EMAIL}]+(?:@|\uff20|%40)"
    rf"[^{_NOT_IN_EMAIL}{_DOTS}]+(?:[{_DOTS}][^{_NOT_IN_EMAIL}{_DOTS}]+)+"
)
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9\-._~+/]+=*")
# A JWT or any fragment of one (header only, header.payload), including the segments of one split across a path.
_JWT = re.compile(r"eyJ[A-Za-z0-9_\-+=]*(?:[./][A-Za-z0-9_\-+=]+)*")
# A query string: whatever its parameters carry, it never reaches a log line.
_QUERY = re.compile(r"\?[^\s\"'<>#=?]+=[^\s\"'<>#]*")
# Leftmost match wins, so ids we need for debugging are consumed whole before a digit run inside them can be taken
# for a phone number; a phone number may be glued to letters (`tel07700900123`). The leading lookahead spares the
# engine trying every alternative at characters none can start with.
_PHONE = re.compile(
    r"(?=[\d+(A-Fa-f])"
    r"(?:(?P<kept>[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}"  # UUID
    r"|\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+\-]\d{2}:?\d{2})?)?"  # ISO date or time
    r"|(?<![A-Za-z0-9+])(?:[0-9A-Fa-f]{8}){2,8}(?![A-Za-z0-9])"  # hex ids: trace and span ids, digests
    r"|0x[0-9A-Fa-f]+"  # addresses in reprs
    r"|(?<![\d+])1\d{9}(?:\d{3})?(?:\.\d+)?(?!\d))"  # Unix time in seconds or milliseconds
    r"|(?P<phone>\+?\(?\d[\d\s().\-]{7,}\d))"
)
_NUMBER_THEN_STATUS = re.compile(r"(\S+)( [1-5]\d\d)")
_NINE_DIGITS = re.compile(r"(?:\D*+\d){9}")
_SENSITIVE_KEYS = frozenset(
    {"email", "phone", "password", "token", "authorization", "name", "idtoken", "refreshtoken", "secret"}
)
REDACTED = "[REDACTED]"


class OwnText(str):
    """Text the code built itself and that holds no personal data (a generated id, a function's name, a duration):
    redaction passes it as it is instead of scanning it."""

    __slots__ = ()


_log_context: ContextVar[Mapping[str, Any] | None] = ContextVar("bloom_log_context", default=None)


def _redact_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    if match.lastgroup != "phone":
        return text
    number, status = text, ""
    # "GET /api/v1/resource/123456 404": the status ending the HTTP toolkit's request line is not part of a number.
    if match.end() == len(match.string) and (split := _NUMBER_THEN_STATUS.fullmatch(text)):
        number, status = split.groups()
    return REDACTED + status if 9 <= sum(ch.isdigit() for ch in number) <= 15 else text


def redact_text(text: str) -> str:
    """Remove bearer tokens, query strings, JWTs, emails and phone numbers from free text.

    Each pass runs only when the text holds what it looks for, so most strings cost a few substring checks."""
    if "bearer" in text.lower():
        text = _BEARER.sub("Bearer " + REDACTED, text)
    if "?" in text:
        text = _QUERY.sub("?" + REDACTED, text)
    if "eyJ" in text:
        text = _JWT.sub(REDACTED, text)
    if "@" in text or "\uff20" in text or "%40" in text:
        text = _EMAIL.sub(REDACTED, text)
    if len(text) >= 9 and _NINE_DIGITS.match(text):  # a phone number has nine digits at least
        text = _PHONE.sub(_redact_phone, text)
    return text


@lru_cache(maxsize=1024)
def _is_sensitive_key(key: str) -> bool:
    return key.replace("_", "").lower() in _SENSITIVE_KEYS


def redact(value: Any, key: str = "") -> Any:
    """Redact a structured value: sensitive keys lose their value; strings, and other values as text, are scrubbed."""
    if key and _is_sensitive_key(key) and value is not None and value != "":
        return REDACTED
    kind = type(value)
    if kind is OwnText:
        return value
    if kind is str:
        return redact_text(value)
    if value is None or kind is int or kind is bool or kind is float:
        return value
    if kind is dict:  # before the ABC checks below, which cost more than the redaction of a small dict
        return {str(k): redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {str(k): redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, bool | int | float):
        return value
    return redact_text(str(value))


_SEVERITY = {
    logging.DEBUG: "DEBUG",
    logging.INFO: "INFO",
    logging.WARNING: "WARNING",
    logging.ERROR: "ERROR",
    logging.CRITICAL: "CRITICAL",
}
# `json.dumps`'s encoder without its check for circular references: an entry is a tree of fresh dicts and lists.
_ENCODER = json.JSONEncoder(check_circular=False)
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "taskName"}


class CloudLoggingFormatter(logging.Formatter):
    """One JSON object per line; structured fields from `extra=` and the request context are kept."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = dict(_log_context.get() or {})
        for attr, value in vars(record).items():
            if attr not in _STANDARD_ATTRS and not attr.startswith("_"):
                fields[attr] = value
        if record.exc_info and record.exc_info[0] is not None:
            fields["stack_trace"] = "".join(traceback.format_exception(*record.exc_info))
        entry = {
            "severity": _SEVERITY.get(record.levelno, "DEFAULT"),
            "message": redact_text(record.getMessage()),
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
            **redact(fields),
        }
        return _ENCODER.encode(entry)  # `json.dumps`'s output: its spacing is what log searches (and tests) match


class log_context:  # noqa: N801 - used as a function: `with log_context(request_id=...):`
    """Attach fields (trace, request id, function name) to every line logged inside the block.

    A class rather than a generator-based context manager: it is entered on every request."""

    __slots__ = ("fields", "token")

    def __init__(self, **fields: Any) -> None:
        self.fields = fields

    def __enter__(self) -> None:
        self.token = _log_context.set({**(_log_context.get() or {}), **self.fields})

    def __exit__(self, *_: object) -> None:
        _log_context.reset(self.token)


def current_request_id() -> str | None:
    """The request id of the HTTP request being handled (for audit records), or None outside one."""
    value = (_log_context.get() or {}).get("request_id")
    return str(value) if value else None


_configured = False


def configure_logging() -> None:
    """Route the root logger to stdout as JSON lines; idempotent."""
    global _configured
    if _configured:
        return
    # Lines carry none of what these cost to collect on every record (the logging HOWTO's "Optimization").
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging._srcfile = None  # nor the caller's file and line (a walk up the stack on every record)
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
