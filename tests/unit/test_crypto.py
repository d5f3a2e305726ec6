"""Envelope encryption without a store: sealing binds a value to its place, the local KEK rotates, the KEK is
never a local keyset when deployed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bloom.platform.crypto import DataKeyDestroyed, Sealer, UnreadableCiphertext
from bloom.platform.crypto.kek import (
    KeyEncryptionKeyMissing,
    create_local_keyset,
    kek_aead,
    register_tink,
    rotate_local_keyset,
)
from tests.support.records import keyset_key_ids, retire_all_but_primary
from tests.support.settings import SettingsEnv


def a_sealer(owner: str = "patient-1") -> Sealer:
    import tink
    from tink import aead

    register_tink()
    return Sealer(owner, tink.new_keyset_handle(aead.aead_key_templates.AES256_GCM).primitive(aead.Aead))


def test_a_sealed_value_opens_with_its_associated_data_only() -> None:
    sealer = a_sealer()
    sealed = sealer.seal("marker-subjective", "sessionNotes/n1/body")
    assert "marker" not in sealed
    assert sealer.open(sealed, "sessionNotes/n1/body") == "marker-subjective"
    with pytest.raises(UnreadableCiphertext):
        sealer.open(sealed, "sessionNotes/n2/body")  # copied onto another record
    with pytest.raises(UnreadableCiphertext):
        a_sealer().open(sealed, "sessionNotes/n1/body")  # another owner's key


def test_sealing_the_same_text_twice_gives_different_ciphertexts() -> None:
    sealer = a_sealer()
    assert sealer.seal("same", "x") != sealer.seal("same", "x")


@pytest.mark.parametrize("garbage", ["", "not base64 at all!", "QUJD"])
def test_garbage_is_unreadable_not_a_crash(garbage: str) -> None:
    with pytest.raises(UnreadableCiphertext):
        a_sealer().open(garbage, "x")


def test_a_destroyed_key_seals_and_opens_nothing() -> None:
    destroyed = Sealer("patient-1", None)
    with pytest.raises(DataKeyDestroyed):
        destroyed.open(a_sealer().seal("x", "a"), "a")
    with pytest.raises(DataKeyDestroyed):
        destroyed.seal("x", "a")


def test_the_local_keyset_is_created_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "state" / "local-kek.json"
    create_local_keyset(path)
    first = path.read_text()
    create_local_keyset(path)
    assert path.read_text() == first
    assert path.stat().st_mode & 0o077 == 0


def test_a_rotated_local_kek_still_decrypts_what_the_old_primary_encrypted(
    tmp_path: Path, settings_env: SettingsEnv
) -> None:
    path = tmp_path / "local-kek.json"
    create_local_keyset(path)
    settings_env.set("BLOOM_LOCAL_KEYSET", str(path))
    wrapped = kek_aead().encrypt(b"data key", b"owner")
    [old] = keyset_key_ids(path)
    rotate_local_keyset(path)
    assert len(keyset_key_ids(path)) == 2 and keyset_key_ids(path)[-1] != old
    assert kek_aead().decrypt(wrapped, b"owner") == b"data key"
    newly = kek_aead().encrypt(b"data key", b"owner")
    retire_all_but_primary(path)
    assert kek_aead().decrypt(newly, b"owner") == b"data key"


def test_a_deployed_function_without_kms_refuses_to_use_a_local_keyset(
    tmp_path: Path, settings_env: SettingsEnv
) -> None:
    path = tmp_path / "local-kek.json"
    create_local_keyset(path)
    settings_env.set("BLOOM_LOCAL_KEYSET", str(path))
    settings_env.set("K_SERVICE", "records-read-note")
    settings_env.unset("KMS_KEY_URI")
    with pytest.raises(KeyEncryptionKeyMissing):
        kek_aead()


def test_without_any_kek_configured_nothing_is_wrapped(settings_env: SettingsEnv) -> None:
    settings_env.unset("BLOOM_LOCAL_KEYSET")
    settings_env.unset("KMS_KEY_URI")
    settings_env.unset("K_SERVICE")
    with pytest.raises(KeyEncryptionKeyMissing):
        kek_aead()
