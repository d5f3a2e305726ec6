"""Scheduling for tests: availability bodies, callers for service-level tests, slot times from the real clock for
HTTP tests, and the one thing no request can do: move a hold's expiry into the past."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from bloom.scheduling.models import Busy, day_key, utc_day
from bloom.scheduling.repository import DaysRepository, HoldsRepository
from bloom.users.schemas import Caller, UserRecord
from infra.auth_emulator import AuthAccount
from infra.stack_runner import RunningStack
from tests.support.practice import P

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SECOND_FACTOR = {"firebase": {"sign_in_second_factor": "totp"}, "email_verified": True}


def availability(**changes: Any) -> dict[str, Any]:
    """An availability body (camelCase): every day 00:00-24:00 UTC, 50-minute sessions on the hour (10-minute
    buffer), no notice, 60 days ahead, £60, unless changed."""
    return {
        "timezone": "UTC",
        "weekly": [{"day": day, "start": "00:00", "end": "24:00"} for day in DAYS],
        "sessionMinutes": 50,
        "bufferMinutes": 10,
        "minNoticeHours": 0,
        "horizonDays": 60,
        "price": {"amount": 6000, "currency": "GBP"},
        **changes,
    }


def patient_caller(user_id: str) -> Caller:
    """A signed-in patient, for service-level tests."""
    return Caller(auth_uid=f"uid-{user_id}", claims={}, user=UserRecord(id=user_id, email=f"{user_id}@example.com"))


def therapist_caller(user_id: str, profile_id: str) -> Caller:
    """A therapist signed in with a second factor, for service-level tests."""
    user = UserRecord(id=user_id, email=f"{user_id}@example.com", therapist_profile_id=profile_id)
    return Caller(auth_uid=f"uid-{user_id}", claims=SECOND_FACTOR, user=user)


def admin_caller(user_id: str = "practice-admin") -> Caller:
    user = UserRecord(id=user_id, email=f"{user_id}@example.com", practice_admin=True)
    return Caller(auth_uid=f"uid-{user_id}", claims=SECOND_FACTOR, user=user)


def hour_ahead(days: int, hour: int = 10) -> str:
    """The ISO time (UTC, `Z`) `days` from today at `hour`:00, a slot start of `availability()`."""
    moment = datetime.now(UTC).replace(hour=hour, minute=0, second=0, microsecond=0) + timedelta(days=days)
    return moment.isoformat().replace("+00:00", "Z")


def request(
    stack: RunningStack, method: str, path: str, account: AuthAccount, body: dict[str, Any] | None = None
) -> requests.Response:
    return requests.request(method, f"{stack.api}/v1/{P}/{path}", json=body, headers=account.headers, timeout=60)


def hold(stack: RunningStack, account: AuthAccount, therapist_id: str, start: str) -> requests.Response:
    return request(stack, "POST", "holds", account, {"therapistId": therapist_id, "start": start})


def book(stack: RunningStack, account: AuthAccount, hold_id: str) -> requests.Response:
    return request(stack, "POST", "appointments", account, {"holdId": hold_id})


def expire_hold(hold_id: str) -> None:
    """Move a hold's expiry into the past (on the hold and on its day's entry), as ten minutes of waiting would."""
    found = HoldsRepository().get(hold_id)
    assert found is not None
    past = datetime.now(UTC) - timedelta(seconds=1)
    HoldsRepository().change(hold_id, expires_at=past)
    entry = Busy(start=found.start, until=found.until, expires_at=past).model_dump(by_alias=True)
    DaysRepository().update_entries(day_key(found.therapist_id, utc_day(found.start)), ("busy",), {hold_id: entry})
