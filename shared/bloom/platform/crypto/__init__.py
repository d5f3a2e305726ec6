"""Envelope encryption of personal fields (Tink AEAD, AES-256-GCM), and the search key.

Each *key owner* (a patient id; another area may use its own owners, e.g. `search:{threadId}`) has a data key: a
Tink keyset stored in `dataKeys/{ownerId}` encrypted by the key-encryption key (`kek`: Cloud KMS deployed, a local
keyset in development and tests), with the owner id as associated data. A field is sealed with the owner's key and
an associated data string naming where it is stored (the record's path and field), so a ciphertext copied to
another record, field or owner does not open.

Inside a unit of work (the data key's read joins the caller's transaction; its first use creates it in it):

    sealer = sealer_in(uow, patient_id)          # read before the unit writes anything (a transaction's rule)
    stored = sealer.seal(text, f"sessionNotes/{note_id}/body")
    text = sealer.open(stored, f"sessionNotes/{note_id}/body")

`sealers_for(uow, owner_ids)` reads several owners' keys in one round trip. `destroy_data_key_in(uow, owner_id)`
shreds a key: its ciphertexts never open again (`DataKeyDestroyed`). `blind_token(term)` is the HMAC-SHA256 of a
term under the search key (a Tink PRF keyset wrapped by the same KEK), for blind indexes.

Unwrapped keys are kept in memory only for `UNWRAPPED_TTL_S`, keyed by the wrapped bytes just read, so a rotation
or a destruction is seen at the next read; nothing here logs a key, a plaintext or a ciphertext.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bloom.core.time import utcnow
from bloom.platform.crypto.kek import kek_aead, register_tink
from bloom.platform.crypto.store import SEARCH_KEY_ID, DataKeyRecord, DataKeysRepository, KeysWork
from bloom.platform.store.repository import Repository
from bloom.platform.store.unit_of_work import DuplicateDocument, Fetched, UnitOfWork

if TYPE_CHECKING:
    from tink import KeysetHandle
    from tink.aead import Aead
    from tink.prf import PrfSet

UNWRAPPED_TTL_S = 300.0
UNWRAPPED_MAX = 1000
BLIND_TOKEN_BYTES = 32
SEARCH_KEY_OWNER = "search-key"  # the associated data of the wrapped search key


class UnreadableCiphertext(Exception):
    """A ciphertext did not open under its owner's key with this associated data (copied from elsewhere, altered,
    or sealed under another owner's key), or a wrapped data key did not unwrap as its owner's."""


class DataKeyDestroyed(Exception):
    """The owner's data key was destroyed (crypto-shredding): nothing sealed under it opens again."""


@dataclass(frozen=True)
class Sealer:
    """Seals and opens one owner's fields. `associated_data` names where the value is stored."""

    owner_id: str
    _aead: Aead | None  # None: the key was destroyed

    def seal(self, plaintext: str, associated_data: str) -> str:
        sealed = self._key().encrypt(plaintext.encode(), associated_data.encode())
        return base64.urlsafe_b64encode(sealed).decode()

    def open(self, ciphertext: str, associated_data: str) -> str:
        import tink

        try:
            plaintext: bytes = self._key().decrypt(base64.urlsafe_b64decode(ciphertext), associated_data.encode())
            return plaintext.decode()
        except (tink.TinkError, ValueError):  # ValueError: not base64 or not UTF-8
            raise UnreadableCiphertext("a sealed field did not open with its record's key") from None

    def _key(self) -> Aead:
        if self._aead is None:
            raise DataKeyDestroyed("the data key was destroyed")
        return self._aead


# ------------------------------------------------------------------ unwrapped keys, briefly

_unwrapped: dict[str, tuple[float, Aead]] = {}
_unwrapped_lock = threading.Lock()


def _unwrapped_aead(wrapped: str, owner_id: str) -> Aead:
    """The AEAD of a wrapped data key, unwrapped (a KMS call when deployed) at most once per TTL per instance."""
    from tink import aead

    digest = hashlib.sha256(f"{owner_id}\0{wrapped}".encode()).hexdigest()
    now = time.monotonic()
    with _unwrapped_lock:
        found = _unwrapped.get(digest)
        if found is not None and now - found[0] < UNWRAPPED_TTL_S:
            return found[1]
    primitive = _unwrap(wrapped, owner_id).primitive(aead.Aead)
    with _unwrapped_lock:
        if len(_unwrapped) >= UNWRAPPED_MAX:
            _unwrapped.clear()
        _unwrapped[digest] = (now, primitive)
    return primitive


def forget_unwrapped_keys() -> None:
    """Drop every unwrapped key held in memory (tests; a process that must see a KEK change at once)."""
    with _unwrapped_lock:
        _unwrapped.clear()


def _wrap(handle: KeysetHandle, owner: str) -> str:
    from tink import proto_keyset_format

    return base64.b64encode(proto_keyset_format.serialize_encrypted(handle, kek_aead(), owner.encode())).decode()


def _unwrap(wrapped: str, owner: str) -> KeysetHandle:
    import tink
    from tink import proto_keyset_format

    register_tink()
    try:
        return proto_keyset_format.parse_encrypted(base64.b64decode(wrapped), kek_aead(), owner.encode())
    except tink.TinkError:
        raise UnreadableCiphertext("a data key did not unwrap: another owner's, or under a retired KEK") from None


# ------------------------------------------------------------------ data keys in a unit of work


def sealers_for(uow: UnitOfWork, owner_ids: Iterable[str]) -> dict[str, Sealer]:
    """Each owner's sealer, their keys read in one round trip (joining the unit's transaction); an owner without a
    key gets one, created in the unit. Call before the unit writes anything (a transaction reads first)."""
    repo = uow.bind(DataKeysRepository)
    owners = list(dict.fromkeys(owner_ids))
    wanted = [owner for owner in owners if owner not in repo.opened]
    if wanted:
        stored = repo.get_many(wanted)
        for owner in wanted:
            repo.opened[owner] = _open_or_create(repo, owner, stored.get(owner))
    return {owner: Sealer(owner, repo.opened[owner]) for owner in owners}


def _open_or_create(repo: DataKeysRepository, owner_id: str, record: DataKeyRecord | None) -> Aead | None:
    """The owner's AEAD (None: destroyed); a new key, written with the unit, when the owner has none yet."""
    if record is None:
        import tink
        from tink import aead

        register_tink()
        handle = tink.new_keyset_handle(aead.aead_key_templates.AES256_GCM)
        repo.create(owner_id, DataKeyRecord(owner_id=owner_id, wrapped=_wrap(handle, owner_id), wrapped_at=utcnow()))
        return handle.primitive(aead.Aead)
    if record.wrapped is None:
        return None
    return _unwrapped_aead(record.wrapped, owner_id)


def data_key_ref(uow: UnitOfWork, owner_id: str) -> tuple[Repository[Any], str]:
    """The owner's data key as a (repository, id) pair, for a caller to read it in its own batched `uow.fetch`
    (one round trip for its documents and the key); then `use_fetched_keys`."""
    return uow.bind(DataKeysRepository), owner_id


def use_fetched_keys(uow: UnitOfWork, fetched: Fetched, owner_ids: Iterable[str]) -> None:
    """Let `sealer_in` use the keys of these owners that `fetched` read (via `data_key_ref`) instead of reading
    them again. An owner whose key was not there is read (and created) by `sealer_in` as usual."""
    repo = uow.bind(DataKeysRepository)
    for owner in owner_ids:
        record = fetched.get(repo, owner)
        if record is not None and owner not in repo.opened:
            repo.opened[owner] = _open_or_create(repo, owner, record)


def sealer_in(uow: UnitOfWork, owner_id: str) -> Sealer:
    """The owner's sealer (see `sealers_for`)."""
    return sealers_for(uow, [owner_id])[owner_id]


def destroy_data_key_in(uow: UnitOfWork, owner_id: str) -> None:
    """Shred the owner's data key with the unit's writes: a tombstone replaces the wrapped key, and nothing sealed
    under it opens again (`DataKeyDestroyed`), in this unit at once and in every instance at its next read."""
    repo = uow.bind(DataKeysRepository)
    now = utcnow()
    repo.save(owner_id, DataKeyRecord(owner_id=owner_id, wrapped=None, wrapped_at=now, destroyed_at=now))
    repo.opened[owner_id] = None


# ------------------------------------------------------------------ KEK rotation


def rewrap_data_keys(after: str | None, limit: int) -> tuple[int, str | None, int]:
    """Re-wrap a page of data keys (in owner-id order, after `after`) under the KEK's current primary, in one
    transaction: (keys re-wrapped, the page's last owner id or None when no key is left, keys looked at).
    Destroyed keys stay tombstones. The data keys themselves, and so every record sealed under them, are unchanged."""

    def work(uow: KeysWork) -> tuple[int, str | None, int]:
        page = uow.data_keys.page(after, limit)
        rewrapped = {
            owner: _wrap(_unwrap(record.wrapped, owner), owner) for owner, record in page if record.wrapped is not None
        }
        now = utcnow()
        for owner, wrapped in rewrapped.items():
            uow.data_keys.change(owner, wrapped=wrapped, wrapped_at=now)
        return len(rewrapped), (page[-1][0] if page else None), len(page)

    return KeysWork.run_in_transaction(work)


def count_data_keys() -> int:
    """How many data keys (destroyed ones included) are stored: the total of a rotation's progress bar."""
    return KeysWork().data_keys.count([])


def rewrap_search_key() -> None:
    """Re-wrap the search key under the KEK's current primary (its tokens are unchanged)."""

    def work(uow: KeysWork) -> None:
        stored = uow.search_keys.get(SEARCH_KEY_ID)
        if stored is not None and stored.wrapped is not None:
            handle = _unwrap(stored.wrapped, SEARCH_KEY_OWNER)
            uow.search_keys.change(SEARCH_KEY_ID, wrapped=_wrap(handle, SEARCH_KEY_OWNER), wrapped_at=utcnow())

    KeysWork.run_in_transaction(work)


# ------------------------------------------------------------------ the search key


_search_prf: PrfSet | None = None
_search_lock = threading.Lock()


def blind_token(term: str) -> str:
    """HMAC-SHA256 of `term` under the search key, URL-safe base64 without padding (the same term, the same
    token; without the key, no term can be guessed from it). The key is read, or created, once per instance."""
    digest = _search_key().primary().compute(term.encode(), BLIND_TOKEN_BYTES)
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _search_key() -> PrfSet:
    global _search_prf
    with _search_lock:
        if _search_prf is None:
            _search_prf = _load_or_create_search_key()
        return _search_prf


def _load_or_create_search_key() -> PrfSet:
    import tink
    from tink import prf

    repo = KeysWork().search_keys
    stored = repo.get(SEARCH_KEY_ID)
    if stored is None:
        register_tink()
        handle = tink.new_keyset_handle(prf.prf_key_templates.HMAC_SHA256)
        try:
            with KeysWork() as uow:
                uow.search_keys.create(
                    SEARCH_KEY_ID,
                    DataKeyRecord(
                        owner_id=SEARCH_KEY_OWNER, wrapped=_wrap(handle, SEARCH_KEY_OWNER), wrapped_at=utcnow()
                    ),
                )
        except DuplicateDocument:  # another instance created it first: use theirs
            stored = repo.get(SEARCH_KEY_ID)
        else:
            return handle.primitive(prf.PrfSet)
    assert stored is not None and stored.wrapped is not None  # the search key is never destroyed
    return _unwrap(stored.wrapped, SEARCH_KEY_OWNER).primitive(prf.PrfSet)


def forget_search_key() -> None:
    """Read the search key again at the next use (tests that empty the store)."""
    global _search_prf
    with _search_lock:
        _search_prf = None
