"""A request's headers, read from the WSGI environ: the HTTP toolkit's view of them (`HttpContext.headers`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

# The two headers WSGI keeps without the HTTP_ prefix (present when not empty).
_UNPREFIXED = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}


class RequestHeaders(Mapping[str, str]):
    """The request's headers by lower-case name, read from the WSGI environ on demand (what `request.headers`
    yields, at a fraction of its cost): a request reads a handful of them, each one lookup; the full set is built
    only for code that iterates over them."""

    __slots__ = ("_all", "_environ")

    def __init__(self, environ: Mapping[str, Any]) -> None:
        self._environ = environ
        self._all: dict[str, str] | None = None

    def get(self, name: str, default: Any = None) -> Any:
        if "_" in name or name != name.lower():
            return default  # no header is named so: the environ would answer for the dashed, lower-case name
        if name in _UNPREFIXED:
            return self._environ.get(_UNPREFIXED[name]) or default
        value = self._environ.get("HTTP_" + name.upper().replace("-", "_"))
        return default if value is None else value

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return str(value)

    def _everything(self) -> dict[str, str]:
        if self._all is None:
            environ = self._environ
            found = {key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key[:5] == "HTTP_"}
            for name, key in _UNPREFIXED.items():
                if environ.get(key):
                    found[name] = environ[key]
            self._all = found
        return self._all

    def __iter__(self) -> Iterator[str]:
        return iter(self._everything())

    def __len__(self) -> int:
        return len(self._everything())


def has_body(headers: Mapping[str, str]) -> bool:
    """Whether the request says it carries a body (a length above zero, or chunks): otherwise there is none."""
    return headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in headers
