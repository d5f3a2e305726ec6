"""Accounts rules that need no I/O: password strength, Cypress emails, lastActiveAt, email trigram filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from bloom.accounts.models import is_new_active_day, is_weak_password
from bloom.accounts.schemas import CreateUser
from bloom.users.repository import MAX_GRAM_FILTERS, UsersRepository, email_grams, email_substring_filters
from bloom.users.schemas import UpdateUser, UserRecord, is_cypress_email


@pytest.mark.parametrize(
    ("password", "weak"),
    [
        ("", True),
        ("abc1234", True),
        ("password", True),
        ("PassWord123", True),
        ("qwertyuiop", True),
        ("testpassword", False),  # what the frontend's Cypress signups use
        ("correct horse battery", False),
        ("ünïcødé 🔐 <\"'>", False),
    ],
)
def test_weak_passwords(password: str, weak: bool) -> None:
    assert is_weak_password(password) is weak


def test_cypress_emails() -> None:
    assert is_cypress_email("cypresstestemail+123@chayn.co")
    assert is_cypress_email("CypressTestEmail+1@Chayn.co")
    assert not is_cypress_email("cypresstestemail+1@chayn.co.uk")
    assert not is_cypress_email("someone@chayn.co")


def test_last_active_at_is_recorded_once_a_day() -> None:
    now = datetime(2025, 3, 4, 0, 5, tzinfo=UTC)
    assert is_new_active_day(None, now)
    assert is_new_active_day(now - timedelta(minutes=10), now)  # yesterday, ten minutes ago
    assert not is_new_active_day(now - timedelta(minutes=4), now)


def test_email_is_lower_cased_and_validated() -> None:
    body = CreateUser.model_validate(
        {"name": "A", "email": " Mixed.Case@Example.COM ", "password": "x", "contactPermission": True}
    )
    assert body.email == "mixed.case@example.com"
    with pytest.raises(ValidationError):
        UpdateUser.model_validate({"email": "no-at-sign"})
    assert UpdateUser.model_validate({"name": None, "email": "A@B.io"}).changes() == {"email": "a@b.io"}


def test_every_substring_of_three_or_more_selects_its_email() -> None:
    email = "someone.with.a-long+tag@example.co.uk"
    grams = email_grams(email)
    for start in range(len(email)):
        for end in range(start + 3, len(email) + 1):
            filters = email_substring_filters(email[start:end].upper())
            assert 1 <= len(filters) <= MAX_GRAM_FILTERS
            assert all(f.op == "==" and f.value is True for f in filters)
            assert all(f.field.split(".", 1)[1] in grams for f in filters)
    assert email_substring_filters("ab") == []


def test_stored_user_documents_carry_their_trigrams() -> None:
    doc = UsersRepository().to_doc(UserRecord(id="u1", email="abcd@x.io"))
    assert doc["emailGrams"] == email_grams("abcd@x.io")
    assert doc["email"] == "abcd@x.io" and "email_grams" not in doc
