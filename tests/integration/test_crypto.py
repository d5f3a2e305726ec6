"""Envelope encryption on the Firestore emulator: data keys created in the caller's unit, bound to their owner,
re-wrapped by a KEK rotation, shredded for good."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bloom.platform import crypto
from bloom.platform.crypto import DataKeyDestroyed, UnreadableCiphertext
from bloom.platform.crypto.kek import create_local_keyset, rotate_local_keyset
from bloom.platform.crypto.store import DataKeysRepository, KeysWork
from bloom.platform.store.client import start_round_trip_count, stop_round_trip_count
from infra.records_keys import Rotation, rotate_keys
from infra.stack_runner import RunningStack
from tests.support.records import every_stored_document, retire_all_but_primary
from tests.support.settings import SettingsEnv


def seal(owner: str, text: str, where: str) -> str:
    return KeysWork.run_in_transaction(lambda uow: crypto.sealer_in(uow, owner).seal(text, where))


def open_sealed(owner: str, sealed: str, where: str) -> str:
    with KeysWork() as uow:
        return crypto.sealer_in(uow, owner).open(sealed, where)


@pytest.fixture
def own_kek(tmp_path: Path, settings_env: SettingsEnv) -> Iterator[Path]:
    """A KEK keyset of this test's own, so rotating it changes nothing for other tests."""
    path = tmp_path / "local-kek.json"
    create_local_keyset(path)
    settings_env.set("BLOOM_LOCAL_KEYSET", str(path))
    crypto.forget_unwrapped_keys()
    yield path
    crypto.forget_unwrapped_keys()


def test_a_first_use_creates_the_owners_key_with_the_units_writes(stack: RunningStack) -> None:
    sealed = seal("patient-a", "marker-intake-answers", "intakeForms/patient-a/answers")
    crypto.forget_unwrapped_keys()
    assert open_sealed("patient-a", sealed, "intakeForms/patient-a/answers") == "marker-intake-answers"
    stored = DataKeysRepository().get("patient-a")
    assert stored is not None and stored.wrapped is not None and stored.destroyed_at is None
    assert "marker" not in every_stored_document()


def test_a_key_created_in_a_unit_is_used_again_within_it(stack: RunningStack) -> None:
    def twice(uow: KeysWork) -> str:
        sealed = crypto.sealer_in(uow, "patient-b").seal("x", "where")
        return crypto.sealer_in(uow, "patient-b").open(sealed, "where")

    assert KeysWork.run_in_transaction(twice) == "x"  # one key, created once: no duplicate create at commit


def test_a_ciphertext_does_not_open_on_another_record_or_under_another_owner(stack: RunningStack) -> None:
    sealed = seal("patient-c", "marker", "sessionNotes/n1/body")
    seal("patient-d", "other", "sessionNotes/n2/body")
    with pytest.raises(UnreadableCiphertext):
        open_sealed("patient-c", sealed, "sessionNotes/n2/body")
    with pytest.raises(UnreadableCiphertext):
        open_sealed("patient-d", sealed, "sessionNotes/n1/body")


def test_a_wrapped_key_copied_to_another_owner_does_not_unwrap(stack: RunningStack) -> None:
    sealed = seal("patient-e", "x", "where")
    seal("patient-f", "y", "where")
    repo = DataKeysRepository()
    copied = repo.get("patient-e")
    assert copied is not None
    repo.save("patient-f", copied.model_copy(update={"owner_id": "patient-f"}))
    crypto.forget_unwrapped_keys()
    with pytest.raises(UnreadableCiphertext):
        open_sealed("patient-f", sealed, "where")  # patient-e's key, stored as patient-f's, does not unwrap


def test_many_owners_keys_are_read_in_one_round_trip(stack: RunningStack) -> None:
    owners = [f"patient-{n}" for n in range(5)]
    KeysWork.run_in_transaction(lambda uow: crypto.sealers_for(uow, owners))
    counter = start_round_trip_count()
    try:
        with KeysWork() as uow:
            sealers = crypto.sealers_for(uow, owners)
    finally:
        stop_round_trip_count()
    assert sorted(sealers) == owners and counter.count == 1


def test_a_rotated_kek_still_decrypts_old_records_and_rotation_rewraps_every_key(
    stack: RunningStack, own_kek: Path
) -> None:
    owners = [f"patient-{n}" for n in range(7)]
    sealed = {owner: seal(owner, f"marker-{owner}", f"treatmentPlans/{owner}/goals") for owner in owners}
    KeysWork.run_in_transaction(lambda uow: crypto.destroy_data_key_in(uow, "patient-6"))
    before = {owner: record.wrapped for owner, record in DataKeysRepository().get_many(owners).items()}
    rotate_local_keyset(own_kek)
    crypto.forget_unwrapped_keys()
    assert open_sealed("patient-0", sealed["patient-0"], "treatmentPlans/patient-0/goals") == "marker-patient-0"

    after, done, pages = None, 0, 0
    while True:
        rewrapped, after, _ = crypto.rewrap_data_keys(after, limit=3)
        if after is None:
            break
        done, pages = done + rewrapped, pages + 1
    assert (done, pages) == (6, 3)  # the destroyed key stays a tombstone
    stored = DataKeysRepository().get_many(owners)
    assert all(stored[owner].wrapped != before[owner] for owner in owners[:6])
    assert stored["patient-6"].wrapped is None

    retire_all_but_primary(own_kek)  # the old KEK is gone: only re-wrapped keys unwrap
    crypto.forget_unwrapped_keys()
    for owner in owners[:6]:
        assert open_sealed(owner, sealed[owner], f"treatmentPlans/{owner}/goals") == f"marker-{owner}"


def test_a_destroyed_key_makes_its_records_unreadable_for_good(stack: RunningStack) -> None:
    sealed = seal("patient-g", "marker", "where")
    open_sealed("patient-g", sealed, "where")  # unwrapped and held in memory
    KeysWork.run_in_transaction(lambda uow: crypto.destroy_data_key_in(uow, "patient-g"))
    with pytest.raises(DataKeyDestroyed):
        open_sealed("patient-g", sealed, "where")
    with pytest.raises(DataKeyDestroyed):
        seal("patient-g", "new", "where")  # no new key for a shredded owner
    stored = DataKeysRepository().get("patient-g")
    assert stored is not None and stored.wrapped is None and stored.destroyed_at is not None


def test_blind_tokens_are_stable_per_term_and_survive_a_restart(stack: RunningStack) -> None:
    crypto.forget_search_key()
    first = crypto.blind_token("anxiety")
    assert crypto.blind_token("anxiety") == first != crypto.blind_token("anxious")
    assert "anxiety" not in first and len(first) == 43
    crypto.forget_search_key()  # a new instance reads the stored key
    assert crypto.blind_token("anxiety") == first
    crypto.rewrap_search_key()
    crypto.forget_search_key()
    assert crypto.blind_token("anxiety") == first


class Stop(Exception):
    """Stands for Ctrl-C or a lost connection in the middle of a rotation."""


def test_rotate_keys_resumes_where_a_stopped_run_left_off(stack: RunningStack, own_kek: Path, tmp_path: Path) -> None:
    owners = [f"patient-{n}" for n in range(5)]
    sealed = {owner: seal(owner, f"marker-{owner}", "where") for owner in owners}
    rotate_local_keyset(own_kek)
    cursor = tmp_path / "rotate.json"
    pages: list[int] = []

    def stop_after_the_first_page(looked_at: int) -> None:
        pages.append(looked_at)
        raise Stop

    with pytest.raises(Stop):
        rotate_keys(cursor, page_size=2, advance=stop_after_the_first_page)
    assert json.loads(cursor.read_text()) == {"after": "patient-1"}
    rotation = rotate_keys(cursor, page_size=2, advance=pages.append)
    assert rotation == Rotation(rewrapped=3, resumed_after="patient-1")
    assert pages == [2, 2, 1] and not cursor.exists()

    retire_all_but_primary(own_kek)
    crypto.forget_unwrapped_keys()
    assert [open_sealed(owner, sealed[owner], "where") for owner in owners] == [f"marker-{o}" for o in owners]


def test_a_key_read_in_the_callers_batch_is_not_read_again(stack: RunningStack) -> None:
    sealed = seal("patient-h", "marker", "where")
    crypto.forget_unwrapped_keys()
    counter = start_round_trip_count()
    try:
        with KeysWork() as uow:
            fetched = uow.fetch([crypto.data_key_ref(uow, "patient-h"), crypto.data_key_ref(uow, "patient-new")])
            crypto.use_fetched_keys(uow, fetched, ["patient-h", "patient-new"])
            opened = crypto.sealer_in(uow, "patient-h").open(sealed, "where")
            assert counter.count == 1
            crypto.sealer_in(uow, "patient-new")  # not fetched (it has no key yet): read, then created
            assert counter.count == 2
    finally:
        stop_round_trip_count()
    assert opened == "marker"
