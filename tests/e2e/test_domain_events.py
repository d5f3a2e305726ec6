"""The domain events counters are built from, observed in the outbox: one per real transition, ids only.

Each HTTP call the frontend makes records its events in the same transaction as its change (the outbox);
a repeated action that changes nothing records none.
"""

from __future__ import annotations

import json
from typing import Any

import requests

from bloom.platform.store.outbox import OutboxRepository
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.accounts import access_code, call, partner, partner_admin, signed_up, super_admin
from tests.support.progress import key, make_course, publish
from tests.support.users import make_user
from tests.support.wait import eventually


def events(topic: str) -> list[dict[str, Any]]:
    """The payloads recorded for a topic, oldest first."""
    entries = sorted((entry for _, entry in OutboxRepository().select()), key=lambda entry: entry.created_at)
    return [json.loads(entry.data) for entry in entries if entry.topic == topic]


def progress(stack: RunningStack, account: AuthAccount, path: str, uuid: str) -> None:
    response = requests.post(
        f"{stack.api}/v1/{path}", json={"storyblokUuid": uuid}, headers=account.headers, timeout=30
    )
    assert response.status_code == 201, response.text


def no_personal_data(payloads: list[dict[str, Any]], *values: str) -> None:
    text = json.dumps(payloads).lower()
    assert not any(value.lower() in text for value in values)


def test_signups_record_user_created_and_access_events(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    bumble = partner(stack, admin, "Bumble", automatic_access=True)
    badoo = partner(stack, admin, "Badoo", automatic_access=False)
    badoo_admin = partner_admin(stack, auth, admin, badoo["id"], "badoo.admin@example.com")
    code = access_code(stack, badoo_admin)
    assert [(e["partner_id"]) for e in events("partner_access.granted")] == [badoo["id"]]

    plain = signed_up(stack, auth, "plain.person@example.com", signUpLanguage="es")
    with_code = signed_up(stack, auth, "coded.person@example.com", partnerAccessCode=code.lower())
    automatic = signed_up(stack, auth, "auto.person@example.com", partnerId=bumble["id"])
    ids = {
        account.email: call(stack, "GET", "user/me", account)["user"]["id"] for account in (plain, with_code, automatic)
    }

    created = events("user.created")
    by_user = {event["user_id"]: event for event in created}
    assert len(created) == 4  # the partner admin signed up too
    assert by_user[ids["plain.person@example.com"]]["sign_up_language"] == "es"
    assert by_user[ids["plain.person@example.com"]]["partner_ids"] == []
    assert by_user[ids["coded.person@example.com"]]["partner_ids"] == [badoo["id"]]
    assert by_user[ids["auto.person@example.com"]]["partner_ids"] == [bumble["id"]]
    assert set(created[0]) == {"user_id", "partner_ids", "sign_up_language", "created_at"}

    granted = events("partner_access.granted")
    assert [e["partner_id"] for e in granted] == [badoo["id"], bumble["id"]]
    activated = events("partner_access.activated")
    assert [(e["partner_id"], e["user_id"]) for e in activated] == [
        (badoo["id"], ids["coded.person@example.com"]),
        (bumble["id"], ids["auto.person@example.com"]),
    ]
    assert activated[1]["access_id"] == granted[1]["access_id"]
    no_personal_data(created + granted + activated, "plain.person", "coded.person", "auto.person", "Sam")


def test_assigning_updating_and_releasing_an_access(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    badoo = partner(stack, admin, "Badoo", automatic_access=False)
    badoo_admin = partner_admin(stack, auth, admin, badoo["id"], "badoo.admin@example.com")
    code = access_code(stack, badoo_admin)
    member = signed_up(stack, auth, "member@example.com")
    member_id = call(stack, "GET", "user/me", member)["user"]["id"]
    assigned = call(stack, "POST", "partner-access/assign", member, json={"partnerAccessCode": code})
    [activated] = events("partner_access.activated")
    assert (activated["access_id"], activated["user_id"]) == (assigned["id"], member_id)

    call(stack, "PATCH", f"partner-access/{assigned['id']}", admin, json={"therapySessionsRemaining": 3})
    call(stack, "DELETE", "user", member)
    changed = events("partner_access.changed")
    assert [(e["access_id"], e["user_id"]) for e in changed[:1]] == [(assigned["id"], member_id)]
    # the erasure subscriber releases the access (asynchronously): its event names no holder any more
    released = eventually(lambda: events("partner_access.changed"), lambda found: len(found) >= 2)
    assert [(e["access_id"], e["user_id"]) for e in released] == [(assigned["id"], member_id), (assigned["id"], None)]


def test_profile_changes_record_user_updated_with_field_names_only(stack: RunningStack, auth: AuthEmulator) -> None:
    account = signed_up(stack, auth, "changer@example.com")
    call(stack, "PATCH", "user", account, json={"contactPermission": True, "name": "Another Name"})
    call(stack, "PATCH", "user", account, json={"contactPermission": True})  # nothing changes: no event
    [updated] = events("user.updated")
    assert updated["changed"] == ["contactPermission", "name"]
    no_personal_data([updated], "Another Name", "changer@")


def test_progress_records_each_transition_once(stack: RunningStack, auth: AuthEmulator) -> None:
    learner = make_user(auth, "learner@example.com")
    s1, s2 = make_course(1)
    course = key("course", 1)
    progress(stack, learner, "session-user", s1)
    progress(stack, learner, "session-user", s1)  # a repeated start changes nothing
    progress(stack, learner, "session-user/complete", s1)
    progress(stack, learner, "session-user/complete", s1)
    progress(stack, learner, "session-user/complete", s2)  # completes the course too
    progress(stack, learner, "session-user/incomplete", s2)  # and uncompletes it
    resource = key("resource", 1)
    publish(3001, resource, "resource_short_video", "Resource 1")
    progress(stack, learner, "resource-user", resource)
    progress(stack, learner, "resource-user", resource)
    progress(stack, learner, "resource-user/complete", resource)

    seen = [(e["kind"], e["transition"], e["item_id"]) for e in events("progress.changed")]
    assert seen == [
        ("session", "started", s1),
        ("course", "started", course),
        ("session", "completed", s1),
        ("session", "started", s2),
        ("session", "completed", s2),
        ("course", "completed", course),
        ("session", "uncompleted", s2),
        ("course", "uncompleted", course),
        ("resource", "started", resource),
        ("resource", "completed", resource),
    ]
    payloads = events("progress.changed")
    assert {e["user_id"] for e in payloads} == {f"user-{learner.uid}"}
    assert {e["course_id"] for e in payloads if e["kind"] != "resource"} == {course}
    assert {e["resource_category"] for e in payloads if e["kind"] == "resource"} == {"short_video"}


def test_the_event_log_records_the_event_name_only(stack: RunningStack, auth: AuthEmulator) -> None:
    account = make_user(auth, "chatter@example.com")
    body = {"event": "CHAT_MESSAGE_SENT", "metadata": {"text": "private words"}}
    call(stack, "POST", "event-logger", account, json=body)
    [recorded] = events("event_log.recorded")
    assert (recorded["user_id"], recorded["event"]) == (f"user-{account.uid}", "CHAT_MESSAGE_SENT")
    no_personal_data([recorded], "private words")
