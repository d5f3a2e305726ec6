"""Authentication after the support console disabled a user: refused while disabled, and tokens issued before
the revocation stay refused once the user is enabled again (Firebase's `iat` rule, whole seconds)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bloom.api import _refuse_disabled
from bloom.core.errors import BloomError
from bloom.users.schemas import UserRecord

REVOKED_AT = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
USER = UserRecord(id="u1", email="a@example.com")


def refusal(user: UserRecord, issued_at: object) -> str | None:
    try:
        _refuse_disabled(user, {"iat": issued_at})
    except BloomError as error:
        return error.message if isinstance(error.message, str) else None
    return None


@pytest.mark.parametrize(
    ("user", "issued_at", "expected"),
    [
        (USER, REVOKED_AT.timestamp() - 3600, None),
        (USER.model_copy(update={"disabled_at": REVOKED_AT}), REVOKED_AT.timestamp() + 60, "USER_DISABLED"),
        (USER.model_copy(update={"tokens_valid_after": REVOKED_AT}), REVOKED_AT.timestamp() - 1, "ID_TOKEN_REVOKED"),
        (USER.model_copy(update={"tokens_valid_after": REVOKED_AT}), REVOKED_AT.timestamp(), None),
        (USER.model_copy(update={"tokens_valid_after": REVOKED_AT}), "not a time", "ID_TOKEN_REVOKED"),
    ],
)
def test_disabled_users_and_revoked_tokens_are_refused(
    user: UserRecord, issued_at: object, expected: str | None
) -> None:
    assert refusal(user, issued_at) == expected
