"""Credentialing's pure rules: chunking, stable requirement ids, document kinds, the deterministic extractor and
the checks on what the OpenAI extractor answers. No model, no emulator: `make unit` stays seconds."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from typing import Any

import pytest

from bloom.credentialing.extraction import _parse, extract_deterministic, kind_of, openai_request
from bloom.credentialing.models import (
    CHUNK_OVERLAP,
    MIN_CHUNK_WORDS,
    ChunkRecord,
    chunk_page,
    requirement_id,
    requirements_query,
)


def words(n: int, start: int = 0) -> str:
    return " ".join(f"w{i}" for i in range(start, start + n))


def chunk(text: str, index: int = 0, page: int = 1, source: str = "src") -> ChunkRecord:
    return ChunkRecord(source_id=source, payer="p", state="US-NY", page=page, index=index, text=text, embedding=[])


def test_a_short_page_is_one_chunk_and_an_empty_page_none() -> None:
    assert [c.text for c in chunk_page(3, "  Must  hold\na licence. ")] == ["Must hold a licence."]
    assert chunk_page(3, "") == chunk_page(3, " \n ") == []


@pytest.mark.parametrize("count", [250, 251, 399, 400, 401, 600, 1000, 2345])
def test_chunks_hold_200_to_400_words_overlap_and_cover_the_page(count: int) -> None:
    chunks = chunk_page(7, words(count))
    sizes = [len(c.text.split()) for c in chunks]
    assert all(c.page == 7 for c in chunks)
    assert all(MIN_CHUNK_WORDS <= size <= 400 for size in sizes), sizes
    for before, after in itertools.pairwise(chunks):
        assert before.text.split()[-CHUNK_OVERLAP:] == after.text.split()[:CHUNK_OVERLAP]
    covered = {word for c in chunks for word in c.text.split()}
    assert covered == set(words(count).split())


def test_requirement_ids_are_stable_and_differ_by_source_chunk_and_text() -> None:
    one = requirement_id("s1", 0, "Submit your NPI.")
    assert one == requirement_id("s1", 0, "Submit your NPI.") and len(one) == 32
    assert len({one, requirement_id("s2", 0, "Submit your NPI."), requirement_id("s1", 1, "Submit your NPI."),
                requirement_id("s1", 0, "Submit your DEA.")}) == 4  # fmt: skip


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Each provider must have an individual NPI.", "npi"),
        ("Keep a CAQH ProView profile attested.", "caqh"),
        ("Prescribers provide a DEA registration.", "dea"),
        ("Professional liability insurance of $1M is required.", "malpractice_insurance"),
        ("Hold a current, unrestricted license.", "license"),
        ("A licence from the board is mandatory.", "license"),
        ("A copy of your diploma or transcript.", "diploma"),
        ("Submit a curriculum vitae with work history.", "cv"),
        ("Consent to a background check.", "other"),
    ],
)
def test_document_kinds_come_from_keywords(text: str, kind: str) -> None:
    assert kind_of(text) == kind


def test_the_deterministic_extractor_keeps_requirement_sentences_once_each_citing_its_chunk() -> None:
    first = chunk("Welcome to the guide. Every clinician must hold a New York license. Offices open at nine.", 0, 2)
    second = chunk("Every clinician  must hold a New York license. Submit your NPI and CAQH attestation.", 1, 3)
    items = extract_deterministic([first, second])
    assert [(i.text, i.kind) for i in items] == [
        ("Every clinician must hold a New York license.", "license"),
        ("Submit your NPI and CAQH attestation.", "npi"),
    ]
    assert [c.model_dump() for c in items[0].citations] == [{"source_id": "src", "page": 2}]
    assert [c.page for c in items[1].citations] == [3]
    assert items[0].id == requirement_id("src", 0, "Every clinician must hold a New York license.")


def answer(items: Any) -> dict[str, Any]:
    return {"choices": [{"message": {"content": json.dumps({"items": items})}}]}


def test_the_models_items_cite_the_passage_they_name() -> None:
    chunks = [chunk("a", 0, 1, "s1"), chunk("b", 4, 6, "s2")]
    parsed = _parse(answer([{"passage": 2, "text": " Hold a licence ", "kind": "license"}]), chunks)
    assert parsed is not None
    [item] = parsed
    assert (item.text, item.kind, item.citations[0].source_id, item.citations[0].page) == (
        "Hold a licence",
        "license",
        "s2",
        6,
    )
    assert item.id == requirement_id("s2", 4, "Hold a licence")


@pytest.mark.parametrize(
    "bad",
    [
        None,
        {"choices": []},
        {"choices": [{"message": {"content": "not json"}}]},
        answer("not a list"),
        answer([{"passage": 3, "text": "x", "kind": "license"}]),  # no third passage
        answer([{"passage": 0, "text": "x", "kind": "license"}]),
        answer([{"passage": 1, "text": "  ", "kind": "license"}]),
        answer([{"passage": 1, "text": "x", "kind": "passport"}]),
        answer([{"passage": "1", "text": "x", "kind": "license"}]),
        answer(["x"]),
    ],
)
def test_an_answer_outside_the_schema_is_refused(bad: Any) -> None:
    assert _parse(bad, [chunk("a"), chunk("b", 1)]) is None


def test_the_request_numbers_the_passages_and_asks_for_a_strict_schema() -> None:
    sent = openai_request([chunk("first passage"), chunk("second passage", 1)])
    assert sent["messages"][1]["content"] == "[1] first passage\n\n[2] second passage"
    schema = sent["response_format"]["json_schema"]
    assert schema["strict"] is True
    kinds = schema["schema"]["properties"]["items"]["items"]["properties"]["kind"]["enum"]
    assert set(kinds) == {"license", "diploma", "malpractice_insurance", "npi", "caqh", "dea", "cv", "other"}


def test_the_query_names_the_payer_and_state() -> None:
    assert "aetna" in requirements_query("aetna", "US-CA") and "US-CA" in requirements_query("aetna", "US-CA")


def test_the_request_path_functions_load_no_embedding_model() -> None:
    """A cold import of the credentialing routes, as a deployed function does it (the contract's runtime twin)."""
    probe = (
        "import sys, functions.credentialing_sources; "
        "print(sorted({'numpy', 'tokenizers', 'safetensors', 'bloom.credentialing.embeddings'} & set(sys.modules)))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
