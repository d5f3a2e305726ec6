"""Validation errors become one readable message per problem."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import Field, ValidationError

from bloom.core.models import RequestModel
from bloom.core.validation import validation_messages


class Signup(RequestModel):
    name: str = Field(min_length=1, max_length=50)
    contact_permission: bool
    frequency: Literal["NEVER", "ONE_MONTH"] = "NEVER"
    sessions: int = Field(default=0, ge=0, le=6)


def messages(data: object) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        Signup.model_validate(data)
    return validation_messages(caught.value)


def test_every_problem_is_listed_with_the_wire_name() -> None:
    assert sorted(messages({"name": "x" * 51, "frequency": "DAILY", "sessions": 9})) == [
        "contactPermission is required",
        "frequency must be one of the following values: NEVER, ONE_MONTH",
        "name must be at most 50 characters",
        "sessions must not be greater than 6",
    ]


def test_types_are_named() -> None:
    assert messages({"name": "", "contactPermission": "maybe"}) == [
        "name must be at least 1 characters",
        "contactPermission must be a boolean",
    ]


def test_unknown_fields_are_ignored() -> None:
    assert Signup.model_validate({"name": "a", "contactPermission": True, "extra": 1}).name == "a"
