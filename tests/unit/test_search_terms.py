"""Search normalisation, query limits, snippets and ranking: pure rules, no store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bloom.search.models import SearchEntry, rank
from bloom.search.schemas import PRACTICE_ADMINS
from bloom.search.terms import (
    MAX_PREFIX,
    MAX_TERMS_PER_ENTRY,
    SNIPPET_CHARS,
    QueryWithoutWords,
    TooManyQueryWords,
    fold,
    index_terms,
    query_terms,
    snippet,
    words,
)


def finds(text: str, q: str) -> bool:
    """Whether every word of `q` finds the text (the index lookup: a query word's stem among the text's terms)."""
    indexed = set(index_terms(text))
    return all(term.stem in indexed for term in query_terms(q))


def test_folding_lower_cases_drops_accents_and_apostrophes() -> None:
    assert fold("Café NAÏVE Ångström don\u2019t") == "cafe naive angstrom dont"
    assert words("Zoë's crème-brûlée, 2024!") == ["zoes", "creme", "brulee", "2024"]


@pytest.mark.parametrize(
    ("text", "q"),
    [
        ("we talked about therapy", "therapies"),  # stems: therapi
        ("her therapies helped", "therapy"),
        ("I keep running away", "runs"),
        ("happiness feels far", "happy"),
        ("Crying every night", "cry"),
        ("Résumé attached", "resume"),  # accents folded both ways
        ("resume attached", "Résumé"),
        ("nightmares again", "NIGHTMARE"),
    ],
)
def test_stemming_and_folding_find_other_forms_of_a_word(text: str, q: str) -> None:
    assert finds(text, q)


@pytest.mark.parametrize("q", ["thera", "therap", "counse", "nightm", "hap"])
def test_prefixes_of_three_or_more_characters_find_a_word_being_typed(q: str) -> None:
    assert finds("therapy counselling nightmares happiness", q)


def test_shorter_prefixes_and_other_words_do_not_match() -> None:
    assert not finds("therapy", "th")
    assert not finds("therapy", "rapy")  # not a prefix
    assert not finds("therapy", "garden")
    assert not finds("therapy session", "therapy garden")  # every word counts for this helper


def test_index_terms_are_stems_and_bounded_prefixes() -> None:
    terms = index_terms("Counselling")
    assert "counsel" in terms  # the stem
    assert [t for t in terms if t.startswith("cou")] == [
        "counsel",
        "cou",
        "coun",
        "couns",
        "counse",
        "counsell",
        "counselli",
        "counsellin",
        "counselling",
    ]
    long_word = "a" * 30
    assert max(len(t) for t in index_terms(long_word) if t != long_word) == MAX_PREFIX


def test_an_entry_holds_at_most_the_bounded_number_of_terms() -> None:
    text = " ".join(f"word{i:05d}xxxxxxxxxxxx" for i in range(2000))
    assert len(index_terms(text)) == MAX_TERMS_PER_ENTRY


def test_a_query_needs_a_word_and_at_most_eight() -> None:
    with pytest.raises(QueryWithoutWords):
        query_terms("!! ?")
    with pytest.raises(QueryWithoutWords):
        query_terms("a b c")  # single characters are not words
    assert len(query_terms("one two three four five six seven eight")) == 8
    assert len(query_terms("one one One ONE")) == 1  # distinct words
    with pytest.raises(TooManyQueryWords):
        query_terms("one two three four five six seven eight nine")


def test_a_snippet_is_cut_around_the_first_matched_word() -> None:
    text = "x " * 200 + "we talked about therapy today " + "y " * 100
    cut = snippet(text, query_terms("therapies"))
    assert "therapy" in cut
    assert cut.startswith("…") and cut.endswith("…")
    assert len(cut) == SNIPPET_CHARS + 2
    assert snippet("short text", query_terms("text")) == "short text"
    assert snippet("z" * 400, query_terms("absent")).startswith("zzz")


NOW = datetime(2026, 12, 1, tzinfo=UTC)


def entry(reader: str, record: str, tokens: list[str], minutes_ago: int, scope: str | None = "s") -> SearchEntry:
    return SearchEntry(
        reader=reader,
        kind="message",
        record_id=record,
        scope=scope,
        at=NOW - timedelta(minutes=minutes_ago),
        term_set=dict.fromkeys(tokens, True),
        snippet="sealed",
    )


def test_ranking_is_by_matched_words_then_recency() -> None:
    candidates = [
        entry("u", "new-one-word", ["a"], 1),
        entry("u", "old-two-words", ["a", "b"], 60),
        entry("u", "mid-one-word", ["b"], 30),
    ]
    ranked = rank(candidates, ["a", "b"], {"s": {"u"}}, 10)
    assert [e.record_id for e in ranked] == ["old-two-words", "new-one-word", "mid-one-word"]
    assert [e.record_id for e in rank(candidates, ["a", "b"], {"s": {"u"}}, 1)] == ["old-two-words"]


def test_ranking_drops_entries_whose_grant_is_gone() -> None:
    candidates = [entry("u", "kept", ["a"], 1, scope=None), entry("u", "revoked", ["a"], 2, scope="thread:t")]
    assert [e.record_id for e in rank(candidates, ["a"], {"thread:t": {"someone-else"}}, 10)] == ["kept"]
    assert [e.record_id for e in rank(candidates, ["a"], {}, 10)] == ["kept"]


def test_a_record_seen_twice_is_listed_once_as_the_caller_sees_it() -> None:
    own = entry("admin", "m", ["a"], 5)
    as_admin = entry(PRACTICE_ADMINS, "m", ["a"], 5)
    granted = {"s": {"admin", PRACTICE_ADMINS}}
    assert [e.reader for e in rank([as_admin, own], ["a"], granted, 10)] == ["admin"]
    blurred_for_admins = entry(PRACTICE_ADMINS, "m", [], 5)
    own_with_more = entry("admin", "m", ["a", "b"], 5)
    assert [e.reader for e in rank([blurred_for_admins, own_with_more], ["a", "b"], granted, 10)] == ["admin"]
