"""Sealed snippets under keys derived from the search key (on the emulator, which holds the search key): each
opens under its own entry only, and an altered one does not open."""

from __future__ import annotations

import base64

import pytest

from bloom.platform import crypto
from bloom.search import snippets
from infra.stack_runner import RunningStack


def test_a_snippet_opens_under_its_own_entry_only(stack: RunningStack) -> None:
    crypto.forget_search_key()  # the stack was reset: read (or create) the search key again
    sealed = snippets.seal("u1_message_m1", "the flood, session one")
    assert "flood" not in sealed
    assert snippets.seal("u1_message_m1", "the flood, session one") != sealed  # a fresh nonce every time
    assert snippets.open_sealed("u1_message_m1", sealed) == "the flood, session one"
    with pytest.raises(snippets.UnreadableSnippet):
        snippets.open_sealed("u2_message_m1", sealed)  # copied to another reader's entry
    raw = bytearray(base64.urlsafe_b64decode(sealed))
    raw[-1] ^= 1
    with pytest.raises(snippets.UnreadableSnippet):
        snippets.open_sealed("u1_message_m1", base64.urlsafe_b64encode(bytes(raw)).decode())
    with pytest.raises(snippets.UnreadableSnippet):
        snippets.open_sealed("u1_message_m1", "not base64!")
