"""An OAuth2 token answer read once for every API that issues one (`bloom.platform.token_lease.oauth_token`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bloom.platform.token_lease import IssuedToken, oauth_token


class Refused(Exception):
    pass


def test_a_token_is_used_until_five_minutes_before_it_expires() -> None:
    issued = oauth_token({"access_token": "t-1", "expires_in": 3600, "token_type": "bearer"}, "api", refused=Refused)
    assert issued == IssuedToken("t-1", timedelta(minutes=55))


def test_a_token_living_less_than_the_margin_is_expired_at_once() -> None:
    assert oauth_token({"access_token": "t-2", "expires_in": 60}, "api", refused=Refused).usable_for == timedelta(0)


@pytest.mark.parametrize(
    "answer", [{"expires_in": 3600}, {"access_token": "t-3"}, {"access_token": "t-4", "expires_in": "soon"}, None, []]
)
def test_an_answer_without_a_token_or_its_lifetime_is_refused_without_quoting_it(answer: Any) -> None:
    with pytest.raises(Refused) as refused:
        oauth_token(answer, "api", refused=Refused)
    assert str(refused.value) == "api answered no usable token"
