"""Token verification and roles, with real Auth-emulator tokens and users in the Firestore emulator."""

from __future__ import annotations

import pytest

from bloom.api import authenticate
from bloom.core.errors import BloomError
from bloom.platform.registry import Role
from bloom.users.repository import UsersRepository
from bloom.users.schemas import Caller, PartnerAdminSummary, UserRecord
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.id_tokens import expired_copy


def bloom_user(account: AuthAccount, **fields: object) -> None:
    UsersRepository().save(
        account.uid, UserRecord.model_validate({"id": f"user-{account.uid}", "email": account.email, **fields})
    )


def outcome(headers: dict[str, str], role: Role) -> tuple[int, str] | Caller | None:
    try:
        return authenticate({k.lower(): v for k, v in headers.items()}, role)
    except BloomError as exc:
        return exc.status_code, str(exc.message)


def test_token_problems_are_401(auth: AuthEmulator) -> None:
    account = auth.sign_up("someone@example.com")
    bloom_user(account)
    assert outcome({}, Role.USER) == (401, "Unauthorized: missing required Authorization token")
    assert outcome({"Authorization": "Basic abc"}, Role.USER) == (
        401,
        "Unauthorized: missing required Authorization token",
    )
    assert outcome({"Authorization": "Bearer not-a-token"}, Role.USER) == (401, "INVALID_TOKEN")
    assert outcome({"Authorization": f"Bearer {expired_copy(account.token)}"}, Role.USER) == (401, "ID_TOKEN_EXPIRED")


def test_a_token_without_a_bloom_user_is_401(auth: AuthEmulator) -> None:
    account = auth.sign_up("nobody@example.com")
    assert outcome(account.headers, Role.USER) == (401, "USER_NOT_FOUND")


def test_public_needs_no_token(stack: RunningStack) -> None:
    assert outcome({}, Role.PUBLIC) is None


def test_user_role_and_forwarded_header(auth: AuthEmulator) -> None:
    account = auth.sign_up("user@example.com")
    bloom_user(account)
    caller = outcome(
        {"X-Forwarded-Authorization": f"Bearer {account.token}", "Authorization": "Bearer gateway"}, Role.USER
    )
    assert isinstance(caller, Caller) and caller.user.id == f"user-{account.uid}"
    assert outcome(account.headers, Role.PARTNER_ADMIN) == (403, "Forbidden")
    assert outcome(account.headers, Role.SUPER_ADMIN) == (403, "Forbidden")


def test_super_admin_needs_flag_verified_email_and_second_factor(auth: AuthEmulator) -> None:
    account = auth.sign_up("admin@example.com")
    bloom_user(account, isSuperAdmin=True)
    assert outcome(account.headers, Role.SUPER_ADMIN) == (403, "Forbidden")
    verified = auth.verify_email(account)
    assert outcome(verified.headers, Role.SUPER_ADMIN) == (403, "Forbidden")
    with_mfa = auth.second_factor_token(verified)
    assert isinstance(outcome(with_mfa.headers, Role.SUPER_ADMIN), Caller)
    bloom_user(account, isSuperAdmin=False)
    assert outcome(with_mfa.headers, Role.SUPER_ADMIN) == (403, "Forbidden")


@pytest.mark.parametrize(
    ("active", "partner_active", "allowed"), [(True, True, True), (True, False, False), (False, True, False)]
)
def test_partner_admin_needs_active_record_and_partner(
    auth: AuthEmulator, active: bool, partner_active: bool, allowed: bool
) -> None:
    account = auth.sign_up("padmin@example.com")
    summary = PartnerAdminSummary(id="pa", partner_id="p", active=active, partner_active=partner_active)
    bloom_user(account, partnerAdmin=summary.model_dump(by_alias=True))
    result = outcome(account.headers, Role.PARTNER_ADMIN)
    assert isinstance(result, Caller) if allowed else result == (403, "Forbidden")
