"""Normalised search terms (pure): what a text is indexed under and what a query asks for.

A word is folded (NFKD, combining marks dropped, case-folded, apostrophes removed) and indexed under its English
Snowball stem and its prefixes of 3 to `MAX_PREFIX` characters (type-ahead: "thera" finds "therapy"). A query
word is looked up by its stem: "therapies" finds "therapy" (both stem to "therapi"), "thera" finds it as a
prefix. So a query of 8 words asks for at most 8 strings. The index keeps only keyed hashes of these strings
(`bloom.platform.crypto.blind_token`), never the strings.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

MIN_PREFIX = 3
MAX_PREFIX = 20  # longer words are found by their stem or their first 20 characters
MIN_WORD = 2  # single characters are not indexed
MAX_TERMS_PER_ENTRY = 1500  # distinct strings indexed per entry: a 4,000-character message stays far below it
QUERY_MIN_CHARS = 2
QUERY_MAX_CHARS = 200
QUERY_MAX_TERMS = 8

_WORD = re.compile(r"[^\W_]+")
_APOSTROPHES = str.maketrans("", "", "'\u2019\u02bc")
_local = threading.local()  # a Snowball stemmer keeps state between calls: one per thread


def _stemmer() -> Any:  # snowballstemmer ships no type hints
    found = getattr(_local, "stemmer", None)
    if found is None:
        import snowballstemmer

        found = _local.stemmer = snowballstemmer.stemmer("english")
    return found


def fold(text: str) -> str:
    """Lower-cased (case-folded), accents dropped (NFKD without combining marks), apostrophes removed."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.casefold().translate(_APOSTROPHES)


def words(text: str) -> list[str]:
    """The folded words of a text, in order, repeats included (shorter than `MIN_WORD` left out)."""
    return [word for word in _WORD.findall(fold(text)) if len(word) >= MIN_WORD]


def stem(word: str) -> str:
    """The English Snowball stem of a folded word."""
    stemmed: str = _stemmer().stemWord(word)
    return stemmed


def index_terms(text: str) -> list[str]:
    """The distinct strings an entry for `text` is indexed under: each word's stem and its prefixes of 3+
    characters, first words first, at most `MAX_TERMS_PER_ENTRY`."""
    found: dict[str, None] = {}
    for word in dict.fromkeys(words(text)):
        found[stem(word)] = None
        for length in range(MIN_PREFIX, min(len(word), MAX_PREFIX) + 1):
            found[word[:length]] = None
        if len(found) >= MAX_TERMS_PER_ENTRY:
            break
    return list(found)[:MAX_TERMS_PER_ENTRY]


@dataclass(frozen=True)
class QueryTerm:
    """One word of a query, searched for by its stem: a finished word finds the words sharing its stem, a word
    being typed finds the words it begins (a Snowball stem is, but for a final y turned i, a prefix of its word,
    and "happi" is both the stem of "happy" and a prefix of "happiness")."""

    word: str
    stem: str

    def matches_word(self, word: str) -> bool:
        """Whether a folded word of a text is one this term finds (for placing a snippet)."""
        return word.startswith(self.stem) or stem(word) == self.stem


class QueryWithoutWords(ValueError):
    """A query with no word of 2 or more letters or digits."""


class TooManyQueryWords(ValueError):
    """A query of more than `QUERY_MAX_TERMS` distinct words."""


def query_terms(q: str) -> list[QueryTerm]:
    """The distinct terms of a query (the length of `q` is checked at the boundary)."""
    distinct = list(dict.fromkeys(words(q)))
    if not distinct:
        raise QueryWithoutWords(q)
    if len(distinct) > QUERY_MAX_TERMS:
        raise TooManyQueryWords(q)
    return [QueryTerm(word=word, stem=stem(word)) for word in distinct]


SNIPPET_CHARS = 160


def snippet(text: str, terms: list[QueryTerm]) -> str:
    """About `SNIPPET_CHARS` characters of `text` around the first word a query term finds (the start when none
    does), with an ellipsis where text was cut."""
    if len(text) <= SNIPPET_CHARS:
        return text
    start = 0
    for match in _WORD.finditer(text):
        found = words(match.group())
        if found and any(term.matches_word(found[0]) for term in terms):
            start = max(0, match.start() - SNIPPET_CHARS // 4)
            break
    start = min(start, len(text) - SNIPPET_CHARS)
    cut = text[start : start + SNIPPET_CHARS]
    return ("…" if start > 0 else "") + cut + ("…" if start + SNIPPET_CHARS < len(text) else "")
