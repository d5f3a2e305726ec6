"""Firebase account errors map to the contract's messages (the ones no HTTP path reaches today included)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bloom.core.errors import BadRequest
from bloom.users import firebase_accounts
from infra.auth_emulator import AuthEmulator
from infra.stack_runner import ROOT, RunningStack


def message_of(call: object) -> str:
    assert isinstance(call, BadRequest)
    return str(call.message)


def test_an_address_firebase_rejects_is_invalid_email(stack: RunningStack, auth: AuthEmulator) -> None:
    with pytest.raises(BadRequest) as created:
        firebase_accounts.create_account("no-at-sign.example.com", "a-long-password-1")
    assert message_of(created.value) == "CREATE_USER_INVALID_EMAIL"
    account = auth.sign_up("someone@example.com")
    with pytest.raises(BadRequest) as updated:
        firebase_accounts.update_email(account.uid, "two@@example.com")
    assert message_of(updated.value) == "UPDATE_USER_INVALID_EMAIL"


def test_a_taken_address_and_a_weak_password(stack: RunningStack, auth: AuthEmulator) -> None:
    auth.sign_up("taken@example.com")
    with pytest.raises(BadRequest) as taken:
        firebase_accounts.create_account("taken@example.com", "a-long-password-1")
    assert message_of(taken.value) == "CREATE_USER_ALREADY_EXISTS"
    with pytest.raises(BadRequest) as weak:
        firebase_accounts.create_account("new@example.com", "12345")
    assert message_of(weak.value) == "CREATE_USER_WEAK_PASSWORD"


def test_firebase_unreachable_is_a_firebase_error_without_the_address(stack: RunningStack) -> None:
    """Auth down for real (nothing listens on the port): the generic message, and no email in what is said."""
    env = {**os.environ, "FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9", "PYTHONPATH": f"{ROOT / 'shared'}:{ROOT}"}
    script = (
        "from bloom.users.firebase_accounts import create_account\n"
        "from bloom.core.errors import BadRequest\n"
        "try:\n    create_account('outage.person@example.com', 'a-long-password-1')\n"
        "except BadRequest as exc:\n    print('MESSAGE', exc.message)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert "MESSAGE CREATE_USER_FIREBASE_ERROR" in result.stdout, result.stderr[-2000:]
    assert "outage.person" not in result.stdout + result.stderr
