"""Redeeming one code at the same moment, for real against the emulators: exactly one redemption wins."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from bloom.core.errors import BloomError
from bloom.core.time import utcnow
from bloom.partners.access_codes import redeem_code_in
from bloom.partners.repository import AccessCodesRepository, PartnerAccessesRepository, PartnersWork
from bloom.platform.store.unit_of_work import DuplicateDocument, UnitOfWork
from bloom.users.repository import UsersRepository
from bloom.users.schemas import UserRecord
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.concurrency import at_once
from tests.support.partners import call, new_code, new_partner, new_partner_admin, ok, public_id, super_admin
from tests.support.users import make_user

ROUNDS = 2


def _partner_admin(stack: RunningStack, auth: AuthEmulator) -> AuthAccount:
    admin = super_admin(auth)
    partner = new_partner(stack, admin, "Bumble")
    account, _ = new_partner_admin(stack, auth, admin, partner["id"], "padmin@example.com")
    return account


def _assign(stack: RunningStack, who: AuthAccount, code: str) -> tuple[int, Any]:
    response = call(stack, "POST", "partner-access/assign", who, {"partnerAccessCode": code})
    return response.status_code, response.json()


def test_two_users_redeeming_one_code_at_once(stack: RunningStack, auth: AuthEmulator) -> None:
    partner_admin = _partner_admin(stack, auth)
    alice, bob = make_user(auth, "alice@example.com"), make_user(auth, "bob@example.com")
    for _ in range(ROUNDS):
        access = new_code(stack, partner_admin)
        code = access["accessCode"]
        results = at_once(partial(_assign, stack, alice, code), partial(_assign, stack, bob, code.lower()))
        statuses = sorted(status for status, _ in results)
        assert statuses == [201, 409], results
        winner = alice if results[0][0] == 201 else bob
        loser_body = next(body for status, body in results if status == 409)
        assert loser_body["message"] == "ALREADY_IN_USE"
        stored = PartnerAccessesRepository().get(access["id"])
        assert stored is not None and stored.user_id == public_id(winner) and stored.activated_at is not None
    for account in (alice, bob):
        user = UsersRepository().get(account.uid)
        assert user is not None
        owned = PartnerAccessesRepository().assigned_to(user.id)
        assert sorted(user.partner_access_ids) == sorted(a.id for a in owned)  # the links match the winners
    assert (
        len(PartnerAccessesRepository().assigned_to(public_id(alice)))
        + len(PartnerAccessesRepository().assigned_to(public_id(bob)))
        == ROUNDS
    )


def test_one_user_redeeming_one_code_twice_at_once(stack: RunningStack, auth: AuthEmulator) -> None:
    partner_admin = _partner_admin(stack, auth)
    carol = make_user(auth, "carol@example.com")
    access = new_code(stack, partner_admin)
    code = access["accessCode"]
    results = at_once(lambda: _assign(stack, carol, code), lambda: _assign(stack, carol, code))
    assert sorted(status for status, _ in results) == [201, 409], results
    assert next(body for status, body in results if status == 409)["message"] == "ALREADY_APPLIED"
    user = UsersRepository().get(carol.uid)
    assert user is not None and user.partner_access_ids == [access["id"]]


def _signup_redeem(code: str, user_id: str) -> str | BloomError:
    """What signup does: redeem inside its own transaction, for a user that does not exist yet."""
    user = UserRecord(id=user_id, email=f"{user_id}@example.com")
    try:
        return UnitOfWork.run_in_transaction(lambda uow: redeem_code_in(uow, code, user, f"uid-{user_id}")).access_id
    except BloomError as exc:
        return exc


def test_two_signups_with_one_code_at_once(stack: RunningStack, auth: AuthEmulator) -> None:
    partner_admin = _partner_admin(stack, auth)
    access = new_code(stack, partner_admin)
    code = access["accessCode"]
    results = at_once(lambda: _signup_redeem(code.lower(), "new-1"), lambda: _signup_redeem(code, "new-2"))
    won = [r for r in results if r == access["id"]]
    lost: list[BloomError] = [r for r in results if isinstance(r, BloomError)]
    assert len(won) == 1 and len(lost) == 1, results
    assert lost[0].status_code == 409 and lost[0].message == "ALREADY_IN_USE"
    stored = PartnerAccessesRepository().get(access["id"])
    assert stored is not None and stored.user_id in ("new-1", "new-2")


def test_a_code_is_unique_by_construction(stack: RunningStack, auth: AuthEmulator) -> None:
    """The code is the claim's document id, created with `create`: a second claim of it cannot commit."""
    partner_admin = _partner_admin(stack, auth)
    access = new_code(stack, partner_admin)
    claimed = AccessCodesRepository().get(access["accessCode"])
    assert claimed is not None
    duplicate = claimed.model_copy(update={"partner_access_id": "another", "created_at": utcnow()})

    def claim_again(uow: PartnersWork) -> None:
        uow.codes.create(access["accessCode"], duplicate)

    with pytest.raises(DuplicateDocument):
        PartnersWork.run_in_transaction(claim_again)
    claim = AccessCodesRepository().get(access["accessCode"])
    assert claim is not None and claim.partner_access_id == access["id"]
    assert (
        ok(call(stack, "POST", "partner-access/validate-code", None, {"partnerAccessCode": access["accessCode"]}), 201)[
            "id"
        ]
        == access["id"]
    )
