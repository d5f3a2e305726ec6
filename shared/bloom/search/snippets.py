"""Sealed snippets: each entry's text is sealed with AES-256-GCM under a key of its own, derived from the search
key (`blind_token` of a label no indexed term can equal: terms are letters and digits only), with the entry id as
associated data. No data key is read to write or open one, so indexing adds no read to a message's transaction
and a query opens its results without another round trip; a sealed text copied to another entry does not open.
"""

from __future__ import annotations

import base64
import os

from bloom.platform.crypto import blind_token

_NONCE_BYTES = 12


class UnreadableSnippet(Exception):
    """A sealed snippet did not open under its entry's key: altered, or copied from another entry."""


def _key(entry_id: str) -> bytes:
    token = blind_token(f"\0snippet\0{entry_id}")
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def seal(entry_id: str, text: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(_key(entry_id)).encrypt(nonce, text.encode(), entry_id.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def open_sealed(entry_id: str, sealed: str) -> str:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        raw = base64.urlsafe_b64decode(sealed)
        opened = AESGCM(_key(entry_id)).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], entry_id.encode())
        return opened.decode()
    except (InvalidTag, ValueError):
        raise UnreadableSnippet("a sealed snippet did not open with its entry's key") from None
