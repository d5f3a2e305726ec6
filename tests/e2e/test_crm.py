"""Chat and CRM profiles end to end: API writes → domain events → relays → one subscriber per provider → the
Crisp and Mailchimp fakes (local HTTP servers that keep what we write). Convergence, outages and erasure."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
import requests
from pydantic import BaseModel
from pytest_httpserver import HTTPServer

from bloom.crm import service as crm
from bloom.crm.models import crisp_profile, mailchimp_member
from bloom.crm.repository import ContactsRepository
from bloom.crm.schemas import ProfileStale
from bloom.platform.events import Delivery
from bloom.platform.registry import registered
from bloom.users.repository import UsersRepository
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.cli import main
from infra.manifest import load_everything
from infra.seed_content import DEMO_SESSION_UUIDS, seed_content
from infra.stack_runner import RunningStack
from tests.support.accounts import access_code, call, partner, partner_admin, signed_up, super_admin
from tests.support.crm_fakes import Providers
from tests.support.wait import eventually

load_everything()
OUTAGE_WAIT_S = 90


def user_id(stack: RunningStack, account: AuthAccount) -> str:
    return str(call(stack, "GET", "user/me", account)["user"]["id"])


def expected(uid: str) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """What Crisp (None: no profile) and Mailchimp must hold for the user's current state."""
    snapshot = crm.snapshot_of(uid)
    assert snapshot is not None
    profile = crisp_profile(snapshot)
    return {key: profile[key] for key in ("person", "segments", "data")}, mailchimp_member(snapshot)


def converged(providers: Providers, email: str, uid: str, *, crisp: bool = True) -> None:
    """Wait until both providers hold exactly the profile of the user's current state."""
    want_crisp, want_member = expected(uid)
    eventually(lambda: providers.crisp.get(email), lambda got: got == (want_crisp if crisp else None), timeout_s=60)
    eventually(lambda: providers.member(email), lambda got: got == want_member, timeout_s=60)


def test_profiles_for_each_kind_of_user(stack: RunningStack, auth: AuthEmulator, providers: Providers) -> None:
    admin = super_admin(auth)
    bumble = partner(stack, admin, "Bumble", automatic_access=True)
    padmin = partner_admin(stack, auth, admin, bumble["id"], "padmin@example.com")
    public = signed_up(stack, auth, "public@example.com", name="Pat", contactPermission=True)
    with_chat = signed_up(stack, auth, "chat@example.com", partnerId=bumble["id"])
    code = access_code(stack, padmin, featureLiveChat=False, featureTherapy=True, therapySessionsRemaining=4)
    no_chat = signed_up(stack, auth, "nochat@example.com", partnerAccessCode=code)

    converged(providers, "public@example.com", user_id(stack, public))
    assert providers.crisp["public@example.com"]["segments"] == ["public"]
    assert providers.member("public@example.com")["status"] == "subscribed"  # type: ignore[index]
    converged(providers, "chat@example.com", user_id(stack, with_chat))
    assert providers.crisp["chat@example.com"]["segments"] == ["bumble"]
    assert providers.member("chat@example.com")["status"] == "unsubscribed"  # type: ignore[index]
    no_chat_id = user_id(stack, no_chat)
    converged(providers, "nochat@example.com", no_chat_id, crisp=False)  # a member, but no chat profile
    assert providers.member("nochat@example.com")["merge_fields"]["THERREMAIN"] == 4  # type: ignore[index]

    access_id = call(stack, "GET", "user/me", no_chat)["partnerAccesses"][0]["id"]
    call(
        stack,
        "PATCH",
        f"partner-access/{access_id}",
        admin,
        json={"featureLiveChat": True, "therapySessionsRemaining": 4},
    )
    converged(providers, "nochat@example.com", no_chat_id)  # chat allowed now: the profile appears
    data = providers.crisp["nochat@example.com"]["data"]
    assert (data["therapy_sessions_remaining"], data["feature_therapy"], data["partners"]) == (4, True, "Bumble")

    seed_content()
    call(stack, "POST", "session-user/complete", no_chat, json={"storyblokUuid": DEMO_SESSION_UUIDS[0]})
    converged(providers, "nochat@example.com", no_chat_id)
    assert providers.crisp["nochat@example.com"]["data"]["courses_started"] == 1

    call(
        stack,
        "PATCH",
        f"partner-access/{access_id}",
        admin,
        json={"featureLiveChat": False, "therapySessionsRemaining": 4},
    )
    converged(providers, "nochat@example.com", no_chat_id)  # lost chat rights: the profile stays, updated
    assert providers.crisp["nochat@example.com"]["data"]["feature_live_chat"] is False

    call(stack, "PATCH", "user", public, json={"email": "moved@example.com"})
    converged(providers, "moved@example.com", user_id(stack, public))
    eventually(lambda: providers.crisp.get("public@example.com"), lambda got: got is None)
    eventually(lambda: providers.member("public@example.com"), lambda got: got is None)


def _deliver(function: str, payload: BaseModel, event_id: str) -> None:
    delivery = Delivery(
        event_id=event_id,
        message_id=event_id,
        data=payload.model_dump_json().encode(),
        attributes={"event_id": event_id},
        published_at=None,
    )
    registered()[function].extra["deliver"](delivery)


def test_ten_events_shuffled_and_duplicated_converge_on_the_final_state(
    stack: RunningStack, auth: AuthEmulator, providers: Providers
) -> None:
    admin = super_admin(auth)
    bumble = partner(stack, admin, "Bumble", automatic_access=False)
    padmin = partner_admin(stack, auth, admin, bumble["id"], "padmin@example.com")
    account = signed_up(stack, auth, "ten@example.com", name="First")
    uid = user_id(stack, account)
    seed_content()
    changes: list[tuple[str, str, dict[str, Any]]] = [
        ("PATCH", "user", {"name": "Second"}),
        ("PATCH", "user", {"contactPermission": True}),
        ("POST", "session-user", {"storyblokUuid": DEMO_SESSION_UUIDS[0]}),
        ("POST", "session-user/complete", {"storyblokUuid": DEMO_SESSION_UUIDS[0]}),
        ("PATCH", "user", {"name": "Third"}),
        ("POST", "partner-access/assign", {"partnerAccessCode": access_code(stack, padmin, featureTherapy=True)}),
        ("PATCH", "user", {"signUpLanguage": "es"}),
        ("POST", "session-user", {"storyblokUuid": DEMO_SESSION_UUIDS[1]}),
        ("PATCH", "user", {"serviceEmailsPermission": False}),
    ]
    for method, path, body in changes:
        call(stack, method, path, account, json=body)

    # Ten stale notices for this user (one per change and the signup), delivered to each provider's subscriber
    # in a random order, some twice with the same event id and some again under a new id.
    events = [(str(uuid.uuid4()), ProfileStale(user_id=uid, cause=f"change {n}")) for n in range(10)]
    deliveries = events + random.sample(events, 4) + [(str(uuid.uuid4()), p) for _, p in random.sample(events, 3)]
    random.shuffle(deliveries)
    for event_id, payload in deliveries:
        for function in ("sync_crisp_profile", "sync_mailchimp_member"):
            _deliver(function, payload, event_id)

    converged(providers, "ten@example.com", uid)
    member = providers.member("ten@example.com")
    assert member is not None and member["merge_fields"]["NAME"] == "Third" and member["status"] == "subscribed"
    assert providers.crisp["ten@example.com"]["data"]["signup_language"] == "es"
    assert providers.count("crisp", "POST", 201) == len(providers.crisp) == 2  # each profile created once


def test_a_provider_failing_for_a_while_loses_and_doubles_nothing(
    stack: RunningStack, auth: AuthEmulator, providers: Providers
) -> None:
    providers.down |= {"crisp", "mailchimp"}
    accounts = [signed_up(stack, auth, f"outage{n}@example.com", contactPermission=n == 0) for n in range(3)]
    eventually(
        lambda: (providers.count("crisp", "PUT", 500), providers.count("mailchimp", "PUT", 500)),
        lambda failures: min(failures) >= 3,
        timeout_s=OUTAGE_WAIT_S,
    )
    assert providers.crisp == {} and providers.mailchimp == {}
    providers.down.clear()
    for account in accounts:
        converged(providers, account.email, user_id(stack, account))
    assert len(providers.crisp) == 3 and len(providers.mailchimp) == 3
    assert providers.count("crisp", "POST", 201) == 3  # one creation per user


def test_erasure_reaches_every_provider_even_after_an_outage(
    stack: RunningStack, auth: AuthEmulator, providers: Providers, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/slack/deleted-users", method="POST").respond_with_data("ok")
    account = signed_up(stack, auth, "erased@example.com", name="Gone")
    uid = user_id(stack, account)
    subscribed = requests.post(
        f"{stack.api}/v1/subscription-user/whatsapp",
        headers=account.headers,
        json={"subscriptionInfo": "+447911123456"},
        timeout=30,
    )
    assert subscribed.status_code == 201, subscribed.text
    converged(providers, "erased@example.com", uid)
    assert providers.respond_io == {"+447911123456": "Gone"}

    providers.down |= {"crisp", "mailchimp", "respond.io"}
    assert requests.delete(f"{stack.api}/v1/user", headers=account.headers, timeout=30).status_code == 200
    eventually(
        lambda: [
            providers.count(p, m, 500) for p, m in (("crisp", "DELETE"), ("mailchimp", "POST"), ("respond.io", "POST"))
        ],
        lambda failures: min(failures) >= 1,
        timeout_s=OUTAGE_WAIT_S,
    )
    assert ContactsRepository().get(f"{uid}.crisp") is not None  # what erasure needs survives the outage
    assert ContactsRepository().get(f"{uid}.mailchimp") is not None
    providers.down.clear()
    eventually(
        lambda: (providers.crisp, providers.mailchimp, providers.respond_io),
        lambda held: held == ({}, {}, {}),
        timeout_s=OUTAGE_WAIT_S,
    )
    eventually(lambda: ContactsRepository().select(), lambda records: records == [])


def test_resync_finds_and_fixes_profiles_that_drifted(
    stack: RunningStack, auth: AuthEmulator, providers: Providers, capsys: pytest.CaptureFixture[str]
) -> None:
    account = signed_up(stack, auth, "drift@example.com", name="Before")
    uid = user_id(stack, account)
    converged(providers, "drift@example.com", uid)
    UsersRepository().change(account.uid, name="After")  # a change no event announced (lost, or a new field)
    assert stack.log_path is not None
    cli = ["--state-file", str(stack.log_path.parent / "stack.json"), "crm", "resync"]

    main([*cli, "--all", "--dry-run"])
    assert f"{uid}: would sync (crisp, mailchimp)" in capsys.readouterr().out
    assert providers.crisp["drift@example.com"]["person"] == {"nickname": "Before"}  # a dry run changes nothing

    main([*cli, "--user", uid, "--provider", "mailchimp"])
    assert f"{uid}: sync queued (mailchimp)" in capsys.readouterr().out
    eventually(
        lambda: providers.member("drift@example.com"),
        lambda member: member is not None and member["merge_fields"]["NAME"] == "After",
    )
    assert providers.crisp["drift@example.com"]["person"] == {"nickname": "Before"}

    main([*cli, "--all"])
    converged(providers, "drift@example.com", uid)
    main([*cli, "--all", "--dry-run"])  # run again: nothing left to do
    assert capsys.readouterr().out.rstrip().endswith("1 user(s) checked, 0 to sync")
