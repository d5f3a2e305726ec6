"""WhatsApp subscriptions over HTTP, as the frontend calls them, against a respond.io fake."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from bloom.subscriptions.repository import ClaimsRepository, SubscriptionsRepository
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.accounts import call, signed_up
from tests.support.crm_fakes import Providers
from tests.support.wait import eventually

NUMBER = "+44 7911 123456"
E164 = "+447911123456"


@pytest.fixture
def user(stack: RunningStack, auth: AuthEmulator, providers: Providers) -> AuthAccount:
    return signed_up(stack, auth, "whatsapp.user@example.com", name="Robin")


def subscribe(stack: RunningStack, account: AuthAccount, number: str = NUMBER) -> requests.Response:
    return requests.post(
        f"{stack.api}/v1/subscription-user/whatsapp",
        headers=account.headers,
        json={"subscriptionInfo": number},
        timeout=30,
    )


def cancel(stack: RunningStack, account: AuthAccount, subscription_id: str) -> requests.Response:
    return requests.patch(
        f"{stack.api}/v1/subscription-user/whatsapp/{subscription_id}",
        headers=account.headers,
        json={"cancelledAt": "2026-01-01T00:00:00Z"},
        timeout=30,
    )


def test_subscribe_list_and_cancel(stack: RunningStack, user: AuthAccount, providers: Providers) -> None:
    created = subscribe(stack, user)
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    assert set(body) == {"id", "subscriptionId", "subscriptionName", "subscriptionInfo", "createdAt", "cancelledAt"}
    assert (body["subscriptionName"], body["subscriptionInfo"], body["cancelledAt"]) == ("whatsapp", E164, None)
    assert providers.respond_io == {E164: "Robin"}  # created before the record
    assert call(stack, "GET", "subscription-user", user) == [body]
    assert call(stack, "GET", "user/me", user)["subscriptions"] == [body]

    cancelled = cancel(stack, user, body["id"])
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["cancelledAt"] is not None
    assert call(stack, "GET", "user/me", user)["subscriptions"] == [cancelled.json()]
    eventually(lambda: dict(providers.respond_io), lambda contacts: contacts == {})  # the subscriber told respond.io
    again = cancel(stack, user, body["id"])
    assert (again.status_code, again.json()["message"]) == (409, "Subscription has already been cancelled")

    renewed = subscribe(stack, user, E164)  # a new one after cancelling
    assert renewed.status_code == 201, renewed.text
    listed = call(stack, "GET", "subscription-user", user)
    assert [s["id"] for s in listed] == [body["id"], renewed.json()["id"]]


def test_an_invalid_number_is_400_and_calls_nobody(
    stack: RunningStack, user: AuthAccount, providers: Providers
) -> None:
    for number in ("07911123456", "+44 12", "+447700900123", "not a number", "+" + "1" * 40):
        response = subscribe(stack, user, number)
        assert response.status_code == 400, number
        assert any("subscriptionInfo" in message for message in response.json()["message"])
    assert providers.count("respond.io", "POST") == 0


def test_one_active_subscription_per_user(stack: RunningStack, user: AuthAccount, providers: Providers) -> None:
    assert subscribe(stack, user).status_code == 201
    second = subscribe(stack, user, "+33 6 12 34 56 78")
    assert (second.status_code, second.json()["message"]) == (409, "ALREADY_EXISTS")
    assert list(providers.respond_io) == [E164]


def test_concurrent_subscriptions_one_wins(stack: RunningStack, user: AuthAccount, providers: Providers) -> None:
    numbers = ["+447911123456", "+447911123457", "+447911123458", "+447911123459"]
    with ThreadPoolExecutor(len(numbers)) as pool:
        statuses = sorted(r.status_code for r in pool.map(lambda n: subscribe(stack, user, n), numbers))
    assert statuses == [201, 409, 409, 409]
    records = SubscriptionsRepository().select()
    assert len(records) == 1 and len(providers.respond_io) == 1


def test_cancelling_someone_elses_subscription(
    stack: RunningStack, auth: AuthEmulator, user: AuthAccount, providers: Providers
) -> None:
    mine = subscribe(stack, user).json()
    other = signed_up(stack, auth, "other.user@example.com")
    for subscription_id in (mine["id"], "no-such-subscription"):
        refused = cancel(stack, other, subscription_id)
        assert (refused.status_code, refused.json()["message"]) == (400, "Could not find subscription")
    assert call(stack, "GET", "subscription-user", user) == [mine]


def test_respond_io_down_is_502_and_nothing_stored(
    stack: RunningStack, user: AuthAccount, providers: Providers
) -> None:
    providers.down.add("respond.io")
    failed = subscribe(stack, user)
    assert (failed.status_code, failed.json()["message"]) == (502, "RESPOND_IO_UNAVAILABLE")
    assert call(stack, "GET", "subscription-user", user) == []
    assert SubscriptionsRepository().select() == [] and ClaimsRepository().select() == []
    providers.down.clear()
    assert subscribe(stack, user).status_code == 201  # the claim was released


def test_a_cancellation_reaches_respond_io_after_an_outage(
    stack: RunningStack, user: AuthAccount, providers: Providers
) -> None:
    subscription = subscribe(stack, user).json()
    providers.down.add("respond.io")
    assert cancel(stack, user, subscription["id"]).status_code == 200  # the user is not held up by respond.io
    eventually(lambda: providers.count("respond.io", "POST", 500), lambda failures: failures >= 1)
    assert providers.respond_io == {E164: "Robin"}
    providers.down.clear()
    eventually(lambda: dict(providers.respond_io), lambda contacts: contacts == {}, timeout_s=60)


def test_erasure_deletes_the_contact_and_redacts_the_number(
    stack: RunningStack, user: AuthAccount, providers: Providers
) -> None:
    first = subscribe(stack, user).json()
    assert cancel(stack, user, first["id"]).status_code == 200
    subscribe(stack, user, "+447400123456")
    eventually(lambda: set(providers.respond_io), lambda numbers: numbers == {"+447400123456"})
    providers.down.add("respond.io")  # down when the user is erased: retried until it is back
    assert requests.delete(f"{stack.api}/v1/user", headers=user.headers, timeout=30).status_code == 200
    eventually(lambda: providers.count("respond.io", "POST", 500), lambda failures: failures >= 1)
    providers.down.clear()
    eventually(lambda: dict(providers.respond_io), lambda contacts: contacts == {}, timeout_s=60)

    def numbers() -> list[str | None]:
        return [record.subscription_info for _, record in SubscriptionsRepository().select()]

    eventually(numbers, lambda found: found == [None, None], timeout_s=60)
    assert all(record.cancelled_at is not None for _, record in SubscriptionsRepository().select())
    assert ClaimsRepository().select() == []


def test_the_routes_need_a_signed_in_user(stack: RunningStack) -> None:
    assert requests.get(f"{stack.api}/v1/subscription-user", timeout=10).status_code == 401
    assert requests.post(f"{stack.api}/v1/subscription-user/whatsapp", json={}, timeout=10).status_code == 401
