"""What the fuzz test hands its schemathesis subprocess (a JSON file), and what the hooks hand back."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal


@dataclass(frozen=True)
class Signature:
    """A webhook's `HmacSignature` (bloom.platform.webhooks), and the secret to sign its deliveries with."""

    header: str
    credential: str
    algorithm: Literal["sha1", "sha256", "sha512"]
    encoding: Literal["hex", "base64"]
    timestamp_header: str | None
    secret: str


@dataclass(frozen=True)
class TokenCredential:
    """A webhook that proves itself with a shared token: in a header (`<scheme> <token>` with a scheme) or in the
    query string; `body_fields` are values its scheme also checks in the body, `timestamp_fields` get now."""

    header: str | None
    scheme: str | None
    query: str | None
    secret: str
    body_fields: dict[str, str] = field(default_factory=dict)
    timestamp_fields: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FuzzContext:
    caller: str
    token: str | None  # the caller's Firebase ID token; None for the anonymous caller
    known_issues_file: Path
    # Tokens of other callers with the same role, taken in turn on routes rate-limited per user
    pool: list[str] = field(default_factory=list)
    pooled_operations: list[str] = field(default_factory=list)  # "METHOD /path"
    signatures: dict[str, Signature] = field(default_factory=dict)  # "METHOD /path" -> how to sign it
    tokens: dict[str, TokenCredential] = field(default_factory=dict)  # "METHOD /path" -> its token
    # Seeded values to mix into generated inputs: path template -> parameter -> values; body field -> values,
    # and per path template, body field -> values that replace the general ones there
    path_values: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    body_values: dict[str, list[Any]] = field(default_factory=dict)
    operation_body_values: dict[str, dict[str, list[Any]]] = field(default_factory=dict)  # path -> field -> values

    def dump(self, path: Path) -> None:
        data = asdict(self)
        data["known_issues_file"] = str(self.known_issues_file)
        path.write_text(json.dumps(data, indent=2))

    @classmethod
    def load(cls, path: Path) -> FuzzContext:
        data = json.loads(path.read_text())
        data["known_issues_file"] = Path(data["known_issues_file"])
        data["signatures"] = {key: Signature(**value) for key, value in data["signatures"].items()}
        data["tokens"] = {key: TokenCredential(**value) for key, value in data["tokens"].items()}
        return cls(**data)


@dataclass(frozen=True)
class KnownIssueHit:
    """A failure a `KnownIssue` matched: reported as expected, not as a new failure."""

    issue: str
    operation: str
    status: int
    check: str
    curl: str

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, line: str) -> KnownIssueHit:
        return cls(**json.loads(line))
