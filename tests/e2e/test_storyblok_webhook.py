"""The Storyblok webhook end to end: signed deliveries through the gateway, the CDN as a real HTTP fake."""

from __future__ import annotations

import pytest
import requests
from pytest_httpserver import HTTPServer

from bloom.content.models import CourseRecord, ResourceRecord, SessionRecord
from bloom.content.repository import CoursesRepository, ResourcesRepository, SessionsRepository
from infra.stack_runner import RunningStack
from tests.support.storyblok import (
    CDN_QUERY,
    COURSE_UUID,
    SESSION_UUID,
    body_for,
    deliver,
    post_raw,
    publish_course,
    publish_session,
    serve_story,
    sign,
    story_payload,
)

OTHER_COURSE_UUID = "c0ffee00-0000-4000-8000-000000000002"
RESOURCE_UUID = "4e5a0000-0000-4000-8000-000000000001"


def cdn_requests(httpserver: HTTPServer) -> list[tuple[str, dict[str, str]]]:
    return [(request.path, dict(request.args)) for request, _ in httpserver.log]


def course(uuid: str = COURSE_UUID) -> CourseRecord:
    record = CoursesRepository().get(uuid)
    assert record is not None
    return record


def session(uuid: str = SESSION_UUID) -> SessionRecord:
    record = SessionsRepository().get(uuid)
    assert record is not None
    return record


# --- signatures ---------------------------------------------------------------------------------------------------


def test_a_delivery_without_signature_is_refused_before_anything_happens(
    stack: RunningStack, httpserver: HTTPServer
) -> None:
    response = post_raw(stack, body_for("published", 101), {})
    assert response.status_code == 401
    assert response.json()["message"] == "STORYBLOK_SIGNATURE_MISSING"
    assert cdn_requests(httpserver) == []


def test_a_wrong_signature_is_refused_and_checked_before_the_body(stack: RunningStack, httpserver: HTTPServer) -> None:
    body = body_for("published", 101)
    for signature in (sign(body, "another-secret"), sign(body + b" "), "not-hex", "0" * 40):
        response = post_raw(stack, body, {"webhook-signature": signature})
        assert (response.status_code, response.json()["message"]) == (401, "STORYBLOK_SIGNATURE_MISMATCH")
    invalid = b'{"action": "renamed"}'
    assert post_raw(stack, invalid, {"webhook-signature": sign(b"{}")}).json()["message"] == (
        "STORYBLOK_SIGNATURE_MISMATCH"
    )
    assert cdn_requests(httpserver) == []
    assert CoursesRepository().select() == []


def test_a_correctly_signed_invalid_body_is_a_400_with_every_problem(stack: RunningStack) -> None:
    invalid = b'{"action": "renamed"}'
    response = post_raw(stack, invalid, {"webhook-signature": sign(invalid)})
    assert response.status_code == 400
    message = response.json()["message"]
    assert isinstance(message, list) and len(message) == 2
    assert any(m.startswith("action must be one of the following values: published") for m in message)
    not_json = b"{nope"
    assert post_raw(stack, not_json, {"webhook-signature": sign(not_json)}).status_code == 400


# --- published stories ----------------------------------------------------------------------------------------------


def test_a_published_course_is_fetched_with_the_public_token_and_copied(
    stack: RunningStack, httpserver: HTTPServer
) -> None:
    result = publish_course(stack, httpserver, content={"included_for_partners": ["Public", "Bumble"]})
    assert result == {
        "action": "published",
        "storyId": 101,
        "kind": "course",
        "storyblokUuid": COURSE_UUID,
        "status": "published",
        "changed": True,
    }
    assert cdn_requests(httpserver) == [("/storyblok/v2/cdn/stories/101", CDN_QUERY)]
    stored = course()
    assert (stored.name, stored.slug, stored.status, stored.storyblok_id) == (
        "Course 101",
        "courses/c101",
        "published",
        101,
    )
    assert stored.included_for_partners == ["Public", "Bumble"]
    assert len(stored.id) == 36 and stored.id != COURSE_UUID


@pytest.mark.parametrize(("partners", "expected"), [(None, ["Public"]), (["Bumble"], ["Bumble"])])
def test_course_partners_default_to_public_only(
    stack: RunningStack, httpserver: HTTPServer, partners: list[str] | None, expected: list[str]
) -> None:
    publish_course(stack, httpserver, content=None if partners is None else {"included_for_partners": partners})
    assert course().included_for_partners == expected


def test_a_replayed_delivery_changes_nothing(stack: RunningStack, httpserver: HTTPServer) -> None:
    publish_course(stack, httpserver)
    assert publish_session(stack, httpserver).json()["changed"] is True
    before_course, before_session = course(), session()
    replay_course = publish_course(stack, httpserver)
    replay_session = publish_session(stack, httpserver)
    assert replay_course["changed"] is False and replay_session.json()["changed"] is False
    assert course() == before_course and session() == before_session
    assert deliver(stack, "unpublished", 201).json()["changed"] is True
    unpublished = session()
    assert deliver(stack, "unpublished", 201).json()["changed"] is False
    assert session() == unpublished


@pytest.mark.parametrize("component", ["Session", "session_iba"])
def test_a_published_session_is_stored_and_listed_on_its_course(
    stack: RunningStack, httpserver: HTTPServer, component: str
) -> None:
    publish_course(stack, httpserver)
    response = publish_session(stack, httpserver, component=component)
    assert response.status_code == 201 and response.json()["kind"] == "session"
    stored = session()
    assert (stored.course_uuid, stored.course_id, stored.status) == (COURSE_UUID, course().id, "published")
    assert [(s.id, s.storyblok_uuid, s.name, s.status) for s in course().sessions] == [
        (stored.id, SESSION_UUID, "Session one", "published")
    ]
    renamed = publish_session(stack, httpserver, name="Session one, renamed")
    assert renamed.json()["changed"] is True
    assert [s.name for s in course().sessions] == ["Session one, renamed"]
    assert session().id == stored.id


@pytest.mark.parametrize(
    ("component", "category"),
    [
        ("resource_short_video", "short_video"),
        ("resource_single_video", "single_video"),
        ("resource_conversation", "conversation"),
    ],
)
def test_each_resource_component_gets_its_category(
    stack: RunningStack, httpserver: HTTPServer, component: str, category: str
) -> None:
    serve_story(httpserver, story_payload(301, RESOURCE_UUID, component, "A resource", "resources/a-resource"))
    response = deliver(stack, "published", 301)
    assert response.status_code == 201 and response.json()["kind"] == "resource"
    stored = ResourcesRepository().get(RESOURCE_UUID)
    assert isinstance(stored, ResourceRecord) and stored.category == category
    public = requests.get(f"{stack.api}/v1/resource/{stored.id}", timeout=10)
    assert public.status_code == 200
    assert public.json() | {"createdAt": None, "updatedAt": None} == {
        "id": stored.id,
        "createdAt": None,
        "updatedAt": None,
        "name": "A resource",
        "slug": "resources/a-resource",
        "status": "published",
        "category": category,
        "storyblokUuid": RESOURCE_UUID,
        "completed": False,
    }


def test_other_components_are_acknowledged_and_ignored(stack: RunningStack, httpserver: HTTPServer) -> None:
    serve_story(httpserver, story_payload(401, "0a9e0000-0000-4000-8000-000000000001", "page", "Home", "home"))
    response = deliver(stack, "published", 401)
    assert response.status_code == 201
    assert response.json()["kind"] is None and response.json()["changed"] is False
    assert CoursesRepository().select() == [] and ResourcesRepository().select() == []


def test_a_session_of_an_unknown_course_is_a_clear_404(stack: RunningStack, httpserver: HTTPServer) -> None:
    response = publish_session(stack, httpserver, course_uuid=OTHER_COURSE_UUID)
    assert (response.status_code, response.json()["message"]) == (404, "COURSE NOT FOUND")
    assert SessionsRepository().get(SESSION_UUID) is None
    serve_story(httpserver, story_payload(202, "5e55100a-0000-4000-8000-000000000009", "Session", "No course", "s"))
    no_course = deliver(stack, "published", 202)
    assert (no_course.status_code, no_course.json()["message"]) == (400, "SESSION HAS NO COURSE")


# --- status changes -------------------------------------------------------------------------------------------------


def test_publish_unpublish_publish_again(stack: RunningStack, httpserver: HTTPServer) -> None:
    publish_course(stack, httpserver)
    publish_session(stack, httpserver)
    fetched_before = len(httpserver.log)

    unpublished = deliver(stack, "unpublished", 201)
    assert unpublished.status_code == 201
    assert unpublished.json() == {
        "action": "unpublished",
        "storyId": 201,
        "kind": "session",
        "storyblokUuid": SESSION_UUID,
        "status": "unpublished",
        "changed": True,
    }
    assert len(httpserver.log) == fetched_before, "an unpublished story must not be fetched"
    assert session().status == "unpublished"
    assert [s.status for s in course().sessions] == ["unpublished"]

    republished = publish_session(stack, httpserver)
    assert republished.json()["changed"] is True
    assert session().status == "published" and [s.status for s in course().sessions] == ["published"]


def test_a_deleted_story_is_marked_deleted_without_fetching(stack: RunningStack, httpserver: HTTPServer) -> None:
    publish_course(stack, httpserver)
    serve_story(httpserver, story_payload(301, RESOURCE_UUID, "resource_short_video", "R", "resources/r"))
    deliver(stack, "published", 301)
    fetched_before = len(httpserver.log)
    assert deliver(stack, "deleted", 101).json()["kind"] == "course"
    assert deliver(stack, "deleted", 301).json()["kind"] == "resource"
    assert len(httpserver.log) == fetched_before
    assert course().status == "deleted"
    resource = ResourcesRepository().get(RESOURCE_UUID)
    assert resource is not None and resource.status == "deleted"


def test_status_changes_for_unknown_stories_are_acknowledged(stack: RunningStack, httpserver: HTTPServer) -> None:
    for action in ("unpublished", "deleted"):
        response = deliver(stack, action, 999)
        assert response.status_code == 201
        assert response.json() | {"action": None} == {
            "action": None,
            "storyId": 999,
            "kind": None,
            "storyblokUuid": None,
            "status": None,
            "changed": False,
        }
    assert cdn_requests(httpserver) == []


def test_a_session_moved_between_courses(stack: RunningStack, httpserver: HTTPServer) -> None:
    publish_course(stack, httpserver)
    publish_course(stack, httpserver, story_id=102, uuid=OTHER_COURSE_UUID)
    publish_session(stack, httpserver)
    moved = publish_session(stack, httpserver, course_uuid=OTHER_COURSE_UUID, action="moved")
    assert moved.status_code == 201 and moved.json()["changed"] is True
    assert session().course_uuid == OTHER_COURSE_UUID and session().course_id == course(OTHER_COURSE_UUID).id
    assert course().sessions == []
    assert [s.storyblok_uuid for s in course(OTHER_COURSE_UUID).sessions] == [SESSION_UUID]
    assert publish_session(stack, httpserver, course_uuid=OTHER_COURSE_UUID, action="moved").json()["changed"] is False


# --- the CDN misbehaving --------------------------------------------------------------------------------------------


def test_a_story_the_cdn_does_not_have(stack: RunningStack, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/storyblok/v2/cdn/stories/555", query_string=CDN_QUERY).respond_with_json(
        {"error": "This record could not be found"}, status=404
    )
    published = deliver(stack, "published", 555)
    assert (published.status_code, published.json()["message"]) == (404, "STORY NOT FOUND")
    moved = deliver(stack, "moved", 555)
    assert moved.status_code == 201 and moved.json()["changed"] is False


def test_an_unavailable_cdn_is_retried_a_bounded_number_of_times(stack: RunningStack, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/storyblok/v2/cdn/stories/556").respond_with_data("down", status=503)
    response = deliver(stack, "published", 556)
    assert response.status_code == 502
    assert response.json()["message"].startswith("STORYBLOK_UNAVAILABLE")
    assert cdn_requests(httpserver) == [("/storyblok/v2/cdn/stories/556", CDN_QUERY)] * 3


def test_a_cdn_hiccup_is_retried_and_then_succeeds(stack: RunningStack, httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/storyblok/v2/cdn/stories/101").respond_with_data("busy", status=429)
    httpserver.expect_ordered_request("/storyblok/v2/cdn/stories/101", query_string=CDN_QUERY).respond_with_json(
        story_payload(101, COURSE_UUID, "Course", "Course 101", "courses/c101")
    )
    response = deliver(stack, "published", 101)
    assert response.status_code == 201 and response.json()["changed"] is True
    assert course().name == "Course 101"
