"""Learning progress over HTTP with Auth-emulator users: sessions, courses, resources, completion, isolation."""

from __future__ import annotations

import hashlib
import hmac
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from bloom.content import progress
from bloom.content.repository import CourseUsersRepository, ResourceUsersRepository, SessionUsersRepository
from bloom.platform.store.unit_of_work import UnitOfWork
from bloom.users.repository import UsersRepository
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.load import busy_cores
from tests.support.progress import key, make_course, publish
from tests.support.users import make_user

SECRET = "test-storyblok-secret"


def unpublish(stack: RunningStack, story_id: int) -> None:
    """Through the webhook, as Storyblok does it (an unpublished story is not fetched)."""
    body = json.dumps({"action": "unpublished", "story_id": story_id}).encode()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    response = requests.post(
        f"{stack.api}/webhooks/storyblok", data=body, headers={"webhook-signature": signature}, timeout=30
    )
    assert response.status_code == 201 and response.json()["changed"] is True, response.text


@pytest.fixture
def user(stack: RunningStack, auth: AuthEmulator) -> AuthAccount:
    return make_user(auth, "learner@example.com")


def post(stack: RunningStack, account: AuthAccount, path: str, uuid: str) -> requests.Response:
    """A function may take its whole declared timeout (60 s) to answer, e.g. while it waits out contention."""
    return requests.post(f"{stack.api}/v1/{path}", json={"storyblokUuid": uuid}, headers=account.headers, timeout=60)


def call(stack: RunningStack, account: AuthAccount, path: str, uuid: str) -> dict[str, Any]:
    response = post(stack, account, path, uuid)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def courses(stack: RunningStack, account: AuthAccount) -> list[dict[str, Any]]:
    response = requests.get(f"{stack.api}/v1/courses-user", headers=account.headers, timeout=30)
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()
    return result


def state(course: dict[str, Any]) -> tuple[bool, dict[str, bool]]:
    return course["completed"], {s["storyblokUuid"]: s["completed"] for s in course["sessions"]}


def user_id(account: AuthAccount) -> str:
    return f"user-{account.uid}"


# --- sessions and courses -----------------------------------------------------------------------------------------


def test_starting_a_session_starts_its_course_once(stack: RunningStack, user: AuthAccount) -> None:
    s1, _ = make_course(1)
    started = call(stack, user, "session-user", s1)
    assert set(started) == {
        "id",
        "createdAt",
        "updatedAt",
        "name",
        "slug",
        "status",
        "storyblokUuid",
        "completed",
        "sessions",
    }
    assert (started["storyblokUuid"], started["name"], started["status"]) == (key("course", 1), "Course 1", "published")
    assert state(started) == (False, {s1: False})
    assert set(started["sessions"][0]) == {
        "id",
        "createdAt",
        "updatedAt",
        "name",
        "slug",
        "storyblokUuid",
        "status",
        "completed",
    }
    again = call(stack, user, "session-user", s1)
    assert again == started
    assert courses(stack, user) == [started]
    assert len(CourseUsersRepository().select()) == 1 and len(SessionUsersRepository().select()) == 1
    stored = UsersRepository().get(user.uid)
    assert stored is not None and stored.course_ids == [key("course", 1)]


def test_a_course_is_complete_when_all_its_published_sessions_are(stack: RunningStack, user: AuthAccount) -> None:
    s1, s2 = make_course(1)
    assert state(call(stack, user, "session-user/complete", s1)) == (False, {s1: True})
    assert state(call(stack, user, "session-user/complete", s2)) == (True, {s1: True, s2: True})
    assert state(courses(stack, user)[0]) == (True, {s1: True, s2: True})
    assert state(call(stack, user, "session-user/incomplete", s1)) == (False, {s1: False, s2: True})
    assert state(courses(stack, user)[0]) == (False, {s1: False, s2: True})


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (["complete"], True),
        (["start", "complete"], True),
        (["complete", "start"], True),
        (["start", "complete", "incomplete"], False),
        (["complete", "incomplete", "complete"], True),
        (["incomplete"], False),
        (["incomplete", "start"], False),
        (["complete", "complete"], True),
    ],
)
def test_session_steps_in_any_order(stack: RunningStack, user: AuthAccount, steps: list[str], expected: bool) -> None:
    (s1,) = make_course(1, sessions=1)
    paths = {"start": "session-user", "complete": "session-user/complete", "incomplete": "session-user/incomplete"}
    for step in steps:
        result = call(stack, user, paths[step], s1)
    assert state(result) == (expected, {s1: expected})
    assert state(courses(stack, user)[0]) == (expected, {s1: expected})
    records = SessionUsersRepository().select()
    assert len(records) == 1 and records[0][1].completed is expected
    assert (records[0][1].completed_at is not None) is expected


def test_concurrent_first_steps_keep_one_record_per_item_and_lose_no_progress(
    stack: RunningStack, user: AuthAccount
) -> None:
    """Two tabs, double clicks: the same user's requests race on their own records (one course, two sessions)."""
    uuids = make_course(1, sessions=2)
    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(lambda uuid: post(stack, user, "session-user/complete", uuid), uuids * 2))
    assert [r.status_code for r in responses] == [201] * 4, [r.text for r in responses if r.status_code != 201]
    assert len(CourseUsersRepository().select()) == 1 and len(SessionUsersRepository().select()) == 2
    assert state(courses(stack, user)[0]) == (True, dict.fromkeys(uuids, True))


@pytest.mark.parametrize("concurrent", [8, 32])
def test_one_persons_concurrent_writes_never_fail(stack: RunningStack, user: AuthAccount, concurrent: int) -> None:
    """A retrying client or many tabs: every request of one person on one course settles (no 503), with every core
    kept busy meanwhile; completion and the records come out as if the requests had run one after another."""
    uuids = make_course(1, sessions=4)
    resource = key("resource", 1)
    publish(3001, resource, "resource_conversation", "Resource 1")
    steps = [(f"session-user/{'complete' if i % 4 else 'incomplete'}", uuids[i % 4]) for i in range(concurrent - 2)]
    steps += [("resource-user/complete", resource)] * 2
    with busy_cores(), ThreadPoolExecutor(max_workers=concurrent) as pool:
        responses = list(pool.map(lambda step: post(stack, user, *step), steps))
    assert [r.status_code for r in responses] == [201] * concurrent, [r.text for r in responses if r.status_code != 201]
    assert len(CourseUsersRepository().select()) == 1 and len(SessionUsersRepository().select()) == 4
    [course] = courses(stack, user)
    completed, sessions = state(course)
    assert completed is all(sessions.values()) and set(sessions) == set(uuids)


def test_completed_at_is_a_timestamp_kept_while_completed(stack: RunningStack, user: AuthAccount) -> None:
    (s1,) = make_course(1, sessions=1)
    call(stack, user, "session-user/complete", s1)
    [(_, first)] = SessionUsersRepository().select()
    call(stack, user, "session-user/complete", s1)
    [(_, second)] = SessionUsersRepository().select()
    assert first.completed_at is not None and first.completed_at.tzinfo is not None
    assert second.completed_at == first.completed_at and second.updated_at == first.updated_at
    [(_, course_user)] = CourseUsersRepository().select()
    assert course_user.completed is True and course_user.completed_at is not None


def test_unpublishing_a_session_changes_completion_for_users_who_started(
    stack: RunningStack, user: AuthAccount
) -> None:
    s1, s2 = make_course(1)
    call(stack, user, "session-user/complete", s1)
    assert courses(stack, user)[0]["completed"] is False
    unpublish(stack, 2000 + 100 + 2)  # session 1.2
    [course] = courses(stack, user)
    assert state(course) == (True, {s1: True})
    publish(2000 + 100 + 2, s2, "Session", "Session 1.2", course=key("course", 1))
    assert courses(stack, user)[0]["completed"] is False
    publish(2000 + 100 + 3, key("session", 103), "Session", "Session 1.3", course=key("course", 1))
    call(stack, user, "session-user/complete", s2)
    assert courses(stack, user)[0]["completed"] is False, "a newly published session must be completed too"


def test_an_unpublished_started_session_is_still_listed_with_its_status(stack: RunningStack, user: AuthAccount) -> None:
    s1, _ = make_course(1)
    call(stack, user, "session-user", s1)
    unpublish(stack, 2000 + 100 + 1)
    [course] = courses(stack, user)
    assert [(s["storyblokUuid"], s["status"]) for s in course["sessions"]] == [(s1, "unpublished")]


def test_progress_follows_a_session_moved_to_another_course(stack: RunningStack, user: AuthAccount) -> None:
    s1, _ = make_course(1)
    (t1,) = make_course(2, sessions=1)
    call(stack, user, "session-user/complete", s1)
    call(stack, user, "session-user", t1)
    publish(2000 + 100 + 1, s1, "Session", "Session 1.1", course=key("course", 2))
    by_course = {c["storyblokUuid"]: state(c) for c in courses(stack, user)}
    assert by_course == {key("course", 1): (False, {}), key("course", 2): (False, {s1: True, t1: False})}
    call(stack, user, "session-user/complete", t1)
    assert {c["storyblokUuid"]: c["completed"] for c in courses(stack, user)}[key("course", 2)] is True


def test_two_users_do_not_see_each_others_progress(stack: RunningStack, auth: AuthEmulator, user: AuthAccount) -> None:
    other = make_user(auth, "other@example.com")
    s1, s2 = make_course(1)
    (t1,) = make_course(2, sessions=1)
    call(stack, user, "session-user/complete", s1)
    call(stack, user, "session-user/complete", s2)
    call(stack, other, "session-user", t1)
    assert [c["storyblokUuid"] for c in courses(stack, user)] == [key("course", 1)]
    assert [state(c) for c in courses(stack, other)] == [(False, {t1: False})]
    assert state(call(stack, other, "session-user", s1)) == (False, {s1: False})
    assert state(courses(stack, user)[0]) == (True, {s1: True, s2: True})


def test_unknown_sessions_and_bad_bodies(stack: RunningStack, user: AuthAccount) -> None:
    for path in ("session-user", "session-user/complete", "session-user/incomplete"):
        response = post(stack, user, path, key("session", 999))
        assert (response.status_code, response.json()["message"]) == (404, "SESSION NOT FOUND")
    for path in ("resource-user", "resource-user/complete", "resource-user/incomplete"):
        response = post(stack, user, path, key("resource", 999))
        assert (response.status_code, response.json()["message"]) == (404, "RESOURCE NOT FOUND")
    missing = requests.post(f"{stack.api}/v1/session-user", json={}, headers=user.headers, timeout=30)
    assert (missing.status_code, missing.json()["message"]) == (400, ["storyblokUuid is required"])  # body rules: unit
    anonymous = requests.get(f"{stack.api}/v1/courses-user", timeout=30)
    assert anonymous.status_code == 401
    assert CourseUsersRepository().select() == [] and SessionUsersRepository().select() == []


def test_courses_user_costs_one_round_trip_for_one_or_five_courses(
    stack: RunningStack, auth: AuthEmulator, user: AuthAccount
) -> None:
    other = make_user(auth, "five@example.com")
    first_sessions = [make_course(n, sessions=3)[0] for n in range(1, 6)]
    call(stack, user, "session-user", first_sessions[0])
    for session_uuid in first_sessions:
        call(stack, other, "session-user/complete", session_uuid)
    one = requests.get(f"{stack.api}/v1/courses-user", headers=user.headers, timeout=30)
    five = requests.get(f"{stack.api}/v1/courses-user", headers=other.headers, timeout=30)
    assert len(one.json()) == 1 and len(five.json()) == 5
    assert one.headers["X-Bloom-Firestore-Round-Trips"] == five.headers["X-Bloom-Firestore-Round-Trips"] == "1"


def test_the_profile_gets_the_same_courses_and_resources_in_one_batch(stack: RunningStack, user: AuthAccount) -> None:
    s1, _ = make_course(1)
    publish(3001, key("resource", 1), "resource_short_video", "Resource 1")
    call(stack, user, "session-user/complete", s1)
    call(stack, user, "resource-user/complete", key("resource", 1))
    record = UsersRepository().get(user.uid)
    assert record is not None and record.resource_ids == [key("resource", 1)]
    uow = UnitOfWork()
    profile_courses, profile_resources = progress.profile_content(
        uow, record, uow.fetch(progress.profile_refs(uow, record))
    )
    assert [c.model_dump(mode="json", by_alias=True) for c in profile_courses] == courses(stack, user)
    assert [(r.storyblok_uuid, r.completed) for r in profile_resources] == [(key("resource", 1), True)]


# --- resources ----------------------------------------------------------------------------------------------------


def test_resource_progress_one_record_per_user_and_resource(stack: RunningStack, user: AuthAccount) -> None:
    uuid = key("resource", 1)
    publish(3001, uuid, "resource_conversation", "Resource 1")
    completed = call(stack, user, "resource-user/complete", uuid)
    assert set(completed) == {
        "id",
        "createdAt",
        "updatedAt",
        "name",
        "slug",
        "status",
        "category",
        "storyblokUuid",
        "completed",
    }
    assert (completed["storyblokUuid"], completed["category"], completed["completed"]) == (uuid, "conversation", True)
    assert call(stack, user, "resource-user", uuid)["completed"] is True
    assert call(stack, user, "resource-user/incomplete", uuid)["completed"] is False
    assert call(stack, user, "resource-user/complete", uuid)["completed"] is True
    records = ResourceUsersRepository().select()
    assert [(doc_id, r.completed) for doc_id, r in records] == [(f"{user_id(user)}_{uuid}", True)]


def test_starting_a_resource_is_idempotent(stack: RunningStack, user: AuthAccount, auth: AuthEmulator) -> None:
    uuid = key("resource", 1)
    publish(3001, uuid, "resource_single_video", "Resource 1")
    first = call(stack, user, "resource-user", uuid)
    assert first["completed"] is False and call(stack, user, "resource-user", uuid) == first
    other = make_user(auth, "other@example.com")
    assert call(stack, other, "resource-user/complete", uuid)["completed"] is True
    assert call(stack, user, "resource-user", uuid)["completed"] is False
    assert len(ResourceUsersRepository().select()) == 2


# --- resource endpoints -----------------------------------------------------------------------------------------


def test_resources_by_id_and_created_by_a_super_admin(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = make_user(auth, "admin@example.com", isSuperAdmin=True)
    admin = auth.second_factor_token(auth.verify_email(admin))
    plain = make_user(auth, "plain@example.com")
    body = {
        "name": "Manual",
        "slug": "resources/manual",
        "category": "short_video",
        "storyblokUuid": key("resource", 7),
    }
    forbidden = requests.post(f"{stack.api}/v1/resource", json=body, headers=plain.headers, timeout=30)
    assert forbidden.status_code == 403
    created = requests.post(f"{stack.api}/v1/resource", json=body, headers=admin.headers, timeout=30)
    assert created.status_code == 201, created.text
    resource = created.json()
    assert (resource["name"], resource["status"], resource["category"], resource["completed"]) == (
        "Manual",
        "published",
        "short_video",
        False,
    )
    fetched = requests.get(f"{stack.api}/v1/resource/{resource['id']}", timeout=30)
    assert (fetched.status_code, fetched.json()) == (200, resource)
    duplicate = requests.post(f"{stack.api}/v1/resource", json=body, headers=admin.headers, timeout=30)
    assert (duplicate.status_code, duplicate.json()["message"]) == (409, "RESOURCE ALREADY EXISTS")
    too_long = requests.post(
        f"{stack.api}/v1/resource", json=body | {"name": "x" * 256}, headers=admin.headers, timeout=30
    )
    assert (too_long.status_code, too_long.json()["message"]) == (400, ["name must be at most 255 characters"])
    missing = requests.get(f"{stack.api}/v1/resource/no-such-id", timeout=30)
    assert (missing.status_code, missing.json()["message"]) == (404, "RESOURCE NOT FOUND")
