"""The profile projection and the catalogues are never stale: after every kind of write the API offers, what
`GET user/me` reads (the user's projection, the catalogues) equals what the records themselves say.

Each step below is a write as the frontend or an admin makes it; after each, every user's stored projection is
compared with a recomputation from the records, each profile with the profile computed from the records, and
each catalogue with the documents it copies.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import requests
from google.api_core.exceptions import Aborted
from pytest_httpserver import HTTPServer

from bloom.accounts import service as accounts
from bloom.content.models import ContentCatalogue, CourseRecord, ResourceRecord
from bloom.content.repository import ContentCatalogueRepository, CoursesRepository, ResourcesRepository
from bloom.partners.models import PartnerCatalogue
from bloom.partners.repository import PartnerCatalogueRepository, PartnersRepository
from bloom.platform.store.unit_of_work import UnitOfWork
from bloom.subscriptions.repository import SubscriptionsRepository
from bloom.users.repository import UsersRepository
from infra import cli
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.seed_content import DEMO_COURSE_UUID, DEMO_RESOURCE_UUID, DEMO_SESSION_UUIDS, seed_content
from infra.stack_runner import RunningStack
from tests.support.accounts import access_code, call, partner, partner_admin, signed_up, super_admin
from tests.support.crm_fakes import Providers
from tests.support.storyblok import COURSE_UUID, SESSION_UUID, deliver, publish_course, publish_session
from tests.support.therapy import serve_slack, zapier, zapier_body
from tests.support.wait import eventually

ROUND_TRIPS = "X-Bloom-Firestore-Round-Trips"


def assert_fresh(stack: RunningStack, step: str, *accounts_to_check: AuthAccount) -> None:
    """Every projection, profile and catalogue equals its recomputation from the records."""
    catalogue = PartnerCatalogueRepository().get("partners") or PartnerCatalogue()
    assert catalogue.partners == {p.id: p for p in PartnersRepository().all()}, f"{step}: partner catalogue"
    content = ContentCatalogueRepository().get("content") or ContentCatalogue()
    courses = {key: CourseRecord.model_validate(doc) for key, doc in content.courses.items()}
    resources = {key: ResourceRecord.model_validate(doc) for key, doc in content.resources.items()}
    assert courses == dict(CoursesRepository().select()), f"{step}: content catalogue (courses)"
    assert resources == dict(ResourcesRepository().select()), f"{step}: content catalogue (resources)"
    for account in accounts_to_check:
        user = UsersRepository().get(account.uid)
        assert user is not None, f"{step}: {account.email} has no user document"
        projection, admin = accounts.expected_projection(UnitOfWork(), user)
        assert user.profile == projection, f"{step}: projection of {account.email}"
        assert user.partner_admin == admin, f"{step}: admin summary of {account.email}"
        assert accounts.profile_of(user) == accounts.profile_from_records(user), f"{step}: profile of {account.email}"
        response = requests.get(f"{stack.api}/v1/user/me", headers=account.headers, timeout=10)
        assert response.status_code == 200, f"{step}: {response.text}"
        assert response.headers[ROUND_TRIPS] in ("1", "2"), step  # 2 only on the day's first lastActiveAt write
        expected = accounts.profile_from_records(user).model_dump(mode="json", by_alias=True)
        served = response.json()
        served["user"].pop("lastActiveAt"), expected["user"].pop("lastActiveAt")
        assert served == expected, f"{step}: GET user/me of {account.email}"
        started = requests.get(f"{stack.api}/v1/courses-user", headers=account.headers, timeout=10)
        assert started.headers[ROUND_TRIPS] == "1", step
        assert started.json() == expected["courses"], f"{step}: GET courses-user of {account.email}"


def test_every_write_path_keeps_projection_and_catalogues_fresh(
    stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer, providers: Providers
) -> None:
    admin = super_admin(auth)
    bumble = partner(stack, admin, "Bumble", automatic_access=True)
    assert_fresh(stack, "partner and partner feature created")

    padmin = partner_admin(stack, auth, admin, bumble["id"], "padmin@example.com")
    code = access_code(stack, padmin, featureTherapy=True, therapySessionsRemaining=4)
    with_code = signed_up(stack, auth, "code@example.com", partnerAccessCode=code.lower())
    automatic = signed_up(stack, auth, "automatic@example.com", partnerId=bumble["id"])
    public = signed_up(stack, auth, "public@example.com")
    everyone = (padmin, with_code, automatic, public)
    assert_fresh(stack, "signups (code, automatic, public) and a partner admin", *everyone)

    user_id = call(stack, "GET", "user/me", with_code)["user"]["id"]
    serve_slack(httpserver)
    for action, remaining in (("NEW_BOOKING", 3), ("CANCELLED_BOOKING", 4)):
        assert zapier(stack, zapier_body(action, user_id)).status_code == 202
        profile = eventually(lambda: me_of(stack, with_code), partial(has_remaining, remaining))
        assert profile["partnerAccesses"][0]["therapySessionsRedeemed"] == 4 - remaining
        assert_fresh(stack, f"therapy booking webhook: {action}", with_code)

    call(stack, "POST", "partner-access/assign", padmin, json={"partnerAccessCode": access_code(stack, padmin)})
    call(stack, "POST", "partner-access/assign", public, json={"partnerAccessCode": access_code(stack, padmin)})
    assert_fresh(stack, "codes assigned to existing users (one of them the partner admin)", *everyone)

    access_id = call(stack, "GET", "user/me", with_code)["partnerAccesses"][0]["id"]
    changes: list[dict[str, Any]] = [
        {"therapySessionsRemaining": 2, "therapySessionsRedeemed": 2},
        {"therapySessionsRemaining": 2, "featureLiveChat": False, "featureTherapy": False},
        {"therapySessionsRemaining": 2, "active": False},
        {"therapySessionsRemaining": 2, "active": True},
    ]
    for body in changes:
        call(stack, "PATCH", f"partner-access/{access_id}", admin, json=body)
        assert_fresh(stack, f"access updated by the super admin: {body}", with_code)

    call(stack, "PATCH", f"partner/{bumble['id']}", admin, json={"active": False})
    assert_fresh(stack, "partner deactivated (admins and accesses switched off)", *everyone)
    call(stack, "PATCH", f"partner/{bumble['id']}", admin, json={"active": True})
    assert_fresh(stack, "partner reactivated", *everyone)

    feature_id = bumble_feature_id(stack, admin, bumble["id"])
    call(stack, "PATCH", f"partner-feature/{feature_id}", admin, json={"active": False})
    assert_fresh(stack, "partner feature switched off", *everyone)

    admin_id = call(stack, "GET", "user/me", padmin)["partnerAdmin"]["id"]
    call(stack, "PATCH", f"partner-admin/{admin_id}", admin, json={"active": False})
    assert_fresh(stack, "partner admin switched off", *everyone)
    call(stack, "PATCH", f"partner-admin/{admin_id}", admin, json={"active": True})
    created = call(
        stack,
        "POST",
        "partner-admin/create-user",
        admin,
        json={"name": "New admin", "email": "new.admin@example.com", "partnerId": bumble["id"]},
    )
    assert created["partner"]["id"] == bumble["id"]
    assert_fresh(stack, "partner admin switched on again, and one created with their account", *everyone)

    seed_content()
    for path, uuid in (
        ("session-user", DEMO_SESSION_UUIDS[0]),
        ("session-user/complete", DEMO_SESSION_UUIDS[0]),
        ("session-user/complete", DEMO_SESSION_UUIDS[1]),
        ("session-user/incomplete", DEMO_SESSION_UUIDS[1]),
        ("resource-user", DEMO_RESOURCE_UUID),
        ("resource-user/complete", DEMO_RESOURCE_UUID),
    ):
        call(stack, "POST", path, with_code, json={"storyblokUuid": uuid})
        assert_fresh(stack, f"progress: {path} {uuid}", with_code)
    assert call(stack, "GET", "user/me", with_code)["courses"][0]["storyblokUuid"] == DEMO_COURSE_UUID

    publish_course(stack, httpserver)
    assert publish_session(stack, httpserver).status_code == 201
    call(stack, "POST", "session-user/complete", with_code, json={"storyblokUuid": SESSION_UUID})
    assert_fresh(stack, "a course and session published, the session completed", with_code)
    assert publish_session(stack, httpserver, name="Session one, renamed").status_code == 201
    assert_fresh(stack, "the session renamed in Storyblok", with_code)
    assert deliver(stack, "unpublished", 201).status_code == 201
    assert_fresh(stack, "the session unpublished", with_code)
    publish_course(stack, httpserver, content={"included_for_partners": ["Bumble"]})
    assert_fresh(stack, "the course republished for a partner", with_code)
    assert COURSE_UUID in {c["storyblokUuid"] for c in call(stack, "GET", "user/me", with_code)["courses"]}

    call(stack, "PATCH", "user", with_code, json={"name": "Renamed", "contactPermission": True})
    assert_fresh(stack, "the user's own fields changed", with_code)

    whatsapp = {"subscriptionInfo": "+447911123456"}
    first = call(stack, "POST", "subscription-user/whatsapp", with_code, json=whatsapp)
    assert_fresh(stack, "a WhatsApp subscription created", with_code)
    call(stack, "PATCH", f"subscription-user/whatsapp/{first['id']}", with_code, json={"cancelledAt": None})
    assert_fresh(stack, "the WhatsApp subscription cancelled", with_code)
    call(stack, "POST", "subscription-user/whatsapp", with_code, json=whatsapp)
    assert_fresh(stack, "subscribed again", with_code)
    assert len(call(stack, "GET", "user/me", with_code)["subscriptions"]) == 2

    user_id = call(stack, "GET", "user/me", with_code)["user"]["id"]
    assert requests.delete(f"{stack.api}/v1/user", headers=with_code.headers, timeout=30).status_code == 200
    assert_fresh(stack, "a user erased (their accesses released)", padmin, automatic, public)
    eventually(  # the erased user's subscriptions: cancelled, numbers redacted
        lambda: [(r.cancelled_at is not None, r.subscription_info) for r in SubscriptionsRepository().of_user(user_id)],
        lambda found: found == [(True, None), (True, None)],
        timeout_s=60,
    )


def me_of(stack: RunningStack, account: AuthAccount) -> dict[str, Any]:
    found: dict[str, Any] = call(stack, "GET", "user/me", account)
    return found


def has_remaining(sessions: int, profile: dict[str, Any]) -> bool:
    return bool(profile["partnerAccesses"][0]["therapySessionsRemaining"] == sessions)


def bumble_feature_id(stack: RunningStack, admin: AuthAccount, partner_id: str) -> str:
    partners = call(stack, "GET", "partner", admin)
    found = next(p for p in partners if p["id"] == partner_id)
    return str(found["partnerFeature"][0]["id"])


def test_rebuild_restores_a_projection_and_catalogues_lost_or_never_written(
    stack: RunningStack, auth: AuthEmulator, providers: Providers
) -> None:
    """First deploy over existing records, or after a fix: `infra.cli profiles rebuild` recomputes them."""
    admin = super_admin(auth)
    bumble = partner(stack, admin, "Bumble", automatic_access=True)
    padmin = partner_admin(stack, auth, admin, bumble["id"], "padmin@example.com")
    user = signed_up(stack, auth, "code@example.com", partnerAccessCode=access_code(stack, padmin))
    seed_content()
    call(stack, "POST", "session-user", user, json={"storyblokUuid": DEMO_SESSION_UUIDS[0]})
    call(stack, "POST", "subscription-user/whatsapp", user, json={"subscriptionInfo": "+447911123456"})
    before = call(stack, "GET", "user/me", user)
    assert len(before["subscriptions"]) == 1

    # as stored before projections existed; the signup's subscribers may still hold the user document in a
    # transaction, and the emulator aborts a plain write that waits on such a lock too long: write again then
    eventually(partial(_unlocked_write, user.uid), lambda written: written)
    PartnerCatalogueRepository().delete("partners")
    ContentCatalogueRepository().delete("content")
    assert call(stack, "GET", "user/me", user)["courses"] == []

    assert accounts.rebuild_catalogues() == (1, 2)  # one partner; one course and one resource
    assert accounts.rebuild_profile(user.uid) is True
    assert accounts.rebuild_profile(user.uid) is False  # already current: nothing written
    after = call(stack, "GET", "user/me", user)
    before["user"].pop("lastActiveAt"), after["user"].pop("lastActiveAt")
    assert after == before
    assert_fresh(stack, "rebuilt", user, padmin)


def test_the_rebuild_command_reports_what_it_rewrote(
    stack: RunningStack, auth: AuthEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = signed_up(stack, auth, "first@example.com")
    signed_up(stack, auth, "second@example.com")
    seed_content()
    call(stack, "POST", "resource-user", first, json={"storyblokUuid": DEMO_RESOURCE_UUID})
    UsersRepository().ref(first.uid).update({"profile": {}})
    state_file = tmp_path / "stack.json"
    state_file.write_text(json.dumps({"env": stack.env}))

    cli.main(["--state-file", str(state_file), "profiles", "rebuild"])
    out = capsys.readouterr().out
    assert "catalogues rewritten: 0 partner(s), 2 course(s) and resource(s)" in out
    assert "2 profile projection(s) checked, 1 rewritten" in out
    assert_fresh(stack, "rebuilt by the command", first)


def _unlocked_write(uid: str) -> bool:
    try:
        UsersRepository().ref(uid).update({"profile": {}})
    except Aborted:  # the emulator's "Transaction lock timeout" while a subscriber's transaction holds the document
        return False
    return True
