"""Checklist items from retrieved chunks: OpenAI with a JSON schema when `OPENAI_API_KEY` is set, the
deterministic extractor otherwise and whenever the model fails (timeout, an error status, an answer that is not
the schema). Every item cites the chunk it came from; its id is stable (`requirement_id`)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, cast, get_args

from bloom.core.logging import get_logger
from bloom.credentialing.models import ChunkRecord, requirement_id
from bloom.credentialing.schemas import Citation, DocumentKind, RequirementItem
from bloom.platform import openai

_log = get_logger(__name__)
OPENAI_MODEL = "gpt-4o-mini"
OPENAI_TIMEOUT_S = (2.0, 3.0)  # a request is waiting: past this, the deterministic extractor answers
MAX_ITEM_CHARS = 300
KINDS: tuple[str, ...] = get_args(DocumentKind)
# The first pattern that matches a sentence names its document kind (licence before diploma: "licensed degree").
_KIND_PATTERNS: tuple[tuple[DocumentKind, re.Pattern[str]], ...] = (
    ("npi", re.compile(r"\bNPI\b|national provider identifier", re.I)),
    ("caqh", re.compile(r"\bCAQH\b|proview", re.I)),
    ("dea", re.compile(r"\bDEA\b|drug enforcement", re.I)),
    ("malpractice_insurance", re.compile(r"malpractice|professional liability|liability insurance", re.I)),
    ("license", re.compile(r"\blicen[cs]", re.I)),
    ("diploma", re.compile(r"diploma|degree|transcript|graduat", re.I)),
    ("cv", re.compile(r"\bCV\b|curriculum vitae|r[ée]sum[ée]|work history", re.I)),
)
_REQUIREMENT = re.compile(
    r"\b(must|shall|required?|requires|mandatory|need(?:s)? to|has to|have to|provide|submit|attest)\b", re.I
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(])")


def kind_of(text: str) -> DocumentKind:
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(text):
            return kind
    return "other"


def _item(chunk: ChunkRecord, text: str, kind: DocumentKind) -> RequirementItem:
    return RequirementItem(
        id=requirement_id(chunk.source_id, chunk.index, text),
        text=text,
        kind=kind,
        citations=[Citation(source_id=chunk.source_id, page=chunk.page)],
    )


def _deduplicated(items: list[RequirementItem]) -> list[RequirementItem]:
    seen: set[str] = set()
    kept: list[RequirementItem] = []
    for item in items:
        key = " ".join(item.text.lower().split())
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def extract_deterministic(chunks: Sequence[ChunkRecord]) -> list[RequirementItem]:
    """Each sentence of the chunks that states a requirement ("must", "required", "submit"…), in retrieval order,
    once; its kind from keywords (NPI, CAQH, licence, malpractice…)."""
    items: list[RequirementItem] = []
    for chunk in chunks:
        for sentence in _SENTENCE.split(" ".join(chunk.text.split())):
            text = sentence.strip()
            if 12 <= len(text) <= MAX_ITEM_CHARS and _REQUIREMENT.search(text):
                items.append(_item(chunk, text, kind_of(text)))
    return _deduplicated(items)


RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["items"],
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["passage", "text", "kind"],
                "properties": {
                    "passage": {"type": "integer", "description": "The number of the passage the item comes from"},
                    "text": {"type": "string", "description": "One checklist item, as the passage states it"},
                    "kind": {"type": "string", "enum": list(KINDS)},
                },
            },
        }
    },
}
INSTRUCTIONS = (
    "You extract a credentialing checklist from a payer's requirement passages. List each distinct thing a "
    "therapist must provide or hold, as one short item quoting or closely paraphrasing its passage, with the "
    "number of that passage and the kind of document it needs ('other' when none fits). Use only the passages."
)


def openai_request(chunks: Sequence[ChunkRecord]) -> dict[str, Any]:
    """The chat completion we send: the passages numbered from 1, and a strict JSON schema for the answer."""
    passages = "\n\n".join(f"[{number}] {chunk.text}" for number, chunk in enumerate(chunks, start=1))
    return {
        "model": OPENAI_MODEL,
        "temperature": 0,
        "messages": [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": passages}],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "credentialing_requirements", "strict": True, "schema": RESPONSE_SCHEMA},
        },
    }


def _parse(answer: Any, chunks: Sequence[ChunkRecord]) -> list[RequirementItem] | None:
    try:
        content = json.loads(answer["choices"][0]["message"]["content"])
        raw_items = content["items"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    if not isinstance(raw_items, list):
        return None
    items: list[RequirementItem] = []
    for raw in raw_items:
        if not isinstance(raw, dict):
            return None
        passage, text, kind = raw.get("passage"), raw.get("text"), raw.get("kind")
        if not (isinstance(passage, int) and 1 <= passage <= len(chunks)) or not isinstance(text, str):
            return None
        if not text.strip() or kind not in KINDS:
            return None
        items.append(_item(chunks[passage - 1], text.strip()[:MAX_ITEM_CHARS], cast(DocumentKind, kind)))
    return _deduplicated(items)


def extract_with_openai(chunks: Sequence[ChunkRecord]) -> list[RequirementItem] | None:
    """The model's items, or None when it could not give usable ones in time (the caller fails over)."""
    response = openai.post("chat/completions", openai_request(chunks), OPENAI_TIMEOUT_S)
    if response is None:
        return None
    if response.status_code != 200:
        _log.warning("requirements model refused", extra={"status": response.status_code})
        return None
    try:
        answer = response.json()
    except ValueError:
        answer = None
    items = _parse(answer, chunks)
    if items is None:
        _log.warning("requirements model answered something unusable")
    return items


def extract(chunks: Sequence[ChunkRecord]) -> list[RequirementItem]:
    """The checklist items of the retrieved chunks (see the module docstring)."""
    if not chunks:
        return []
    items = extract_with_openai(chunks) if openai.enabled() else None
    return items if items is not None else extract_deterministic(chunks)
