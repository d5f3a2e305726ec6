"""Feedback, the event logger and the erasure of a deleted user's content data, over HTTP and Pub/Sub."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer

from bloom.content import service as content_sync
from bloom.content.models import StoryblokStory
from bloom.content.repository import (
    CourseUsersRepository,
    ResourcesRepository,
    ResourceUsersRepository,
    SessionsRepository,
    SessionUsersRepository,
)
from bloom.core.time import utcnow
from bloom.feedback.repository import EventLogRepository, ResourceFeedbackRepository, SessionFeedbackRepository
from bloom.platform.store.outbox import OutboxRepository
from bloom.platform.store.repository import Filter, Repository
from bloom.platform.store.unit_of_work import UnitOfWork
from bloom.users.events import USER_DELETED, UserDeleted
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.users import make_user
from tests.support.wait import eventually

COURSE = "c0000000-0000-4000-8000-000000000001"
SESSION = "5e000000-0000-4000-8000-000000000001"
RESOURCE = "4e000000-0000-4000-8000-000000000001"
TAGS_MESSAGE = (
    "feedbackTags must be one of the following values: "
    "relatable, useful, inspiring, too long, too complicated, not useful"
)


def publish(story_id: int, uuid: str, component: str, name: str, **content: Any) -> None:
    story = StoryblokStory(
        id=story_id,
        uuid=uuid,
        name=name,
        slug=name,
        full_slug=f"courses/{name}",
        content={"component": component, **content},
    )
    content_sync.apply_story(story)


@pytest.fixture
def content(stack: RunningStack) -> tuple[str, str]:
    """A published course with one session and a resource; returns the session's and resource's public ids."""
    publish(1, COURSE, "Course", "course")
    publish(2, SESSION, "Session", "session", course=COURSE)
    publish(3, RESOURCE, "resource_short_video", "resource")
    session, resource = SessionsRepository().get(SESSION), ResourcesRepository().get(RESOURCE)
    assert session is not None and resource is not None
    return session.id, resource.id


@pytest.fixture
def user(stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer) -> AuthAccount:
    # Other areas' subscribers (Slack notices) post to the fakes; let them succeed.
    httpserver.expect_request(re.compile(r"^/slack/.*")).respond_with_data("ok")
    return make_user(auth, "giver@example.com")


def post(stack: RunningStack, account: AuthAccount, path: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(f"{stack.api}/v1/{path}", json=body, headers=account.headers, timeout=30)


def feedback_events() -> list[dict[str, Any]]:
    return [json.loads(entry.data) for _, entry in OutboxRepository().select() if entry.topic == "feedback.submitted"]


def owned_by(repository: Repository[Any], user_id: str) -> int:
    return len(repository.select([Filter("userId", "==", user_id)]))


def test_session_feedback_is_stored_sanitised_linked_and_announced(
    stack: RunningStack, user: AuthAccount, content: tuple[str, str]
) -> None:
    session_id, _ = content
    description = (
        '<p onclick="x()">Really <b>helpful</b><script>alert(1)</script> &lt;3 <a href="https://x">link</a></p>'
    )
    response = post(
        stack,
        user,
        "session-feedback",
        {"sessionId": session_id, "feedbackTags": "useful", "feedbackDescription": description},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body | {"id": None, "createdAt": None, "updatedAt": None} == {
        "id": None,
        "createdAt": None,
        "updatedAt": None,
        "sessionId": session_id,
        "feedbackTags": ["useful"],
        "feedbackDescription": "<p>Really <b>helpful</b> &lt;3 link</p>",
    }
    [(doc_id, stored)] = SessionFeedbackRepository().select()
    assert doc_id == body["id"] and stored.user_id == f"user-{user.uid}" and stored.item_uuid == SESSION
    assert stored.feedback_description == "<p>Really <b>helpful</b> &lt;3 link</p>"
    [event] = feedback_events()
    assert event == {
        "feedback_id": body["id"],
        "kind": "session",
        "item_id": session_id,
        "item_name": "session",
        "tags": ["useful"],
        "submitted_at": stored.created_at.isoformat(),
    }
    assert "helpful" not in json.dumps(event)


def test_resource_feedback_accepts_several_tags(
    stack: RunningStack, user: AuthAccount, content: tuple[str, str]
) -> None:
    _, resource_id = content
    response = post(
        stack,
        user,
        "resource-feedback",
        {"resourceId": resource_id, "feedbackTags": ["too long", "relatable", "too long"], "feedbackDescription": "ok"},
    )
    assert response.status_code == 201, response.text
    assert (response.json()["resourceId"], response.json()["feedbackTags"]) == (resource_id, ["too long", "relatable"])
    [(_, stored)] = ResourceFeedbackRepository().select()
    assert stored.kind == "resource" and stored.item_uuid == RESOURCE
    assert [e["kind"] for e in feedback_events()] == ["resource"]


def test_feedback_validation_lists_every_problem(
    stack: RunningStack, user: AuthAccount, content: tuple[str, str]
) -> None:
    session_id, resource_id = content
    bad_tag = post(stack, user, "session-feedback", {"sessionId": session_id, "feedbackTags": "great"})
    assert (bad_tag.status_code, bad_tag.json()["message"]) == (400, [TAGS_MESSAGE])
    too_long = post(
        stack,
        user,
        "resource-feedback",
        {"resourceId": resource_id, "feedbackTags": ["useful", "boring"], "feedbackDescription": "x" * 5001},
    )
    assert too_long.status_code == 400
    assert too_long.json()["message"] == [TAGS_MESSAGE, "feedbackDescription must be at most 5000 characters"]
    missing = post(stack, user, "session-feedback", {})
    assert missing.json()["message"] == ["sessionId is required", "feedbackTags is required"]
    at_limit = post(
        stack,
        user,
        "session-feedback",
        {"sessionId": session_id, "feedbackTags": "useful", "feedbackDescription": "y" * 5000},
    )
    assert at_limit.status_code == 201
    assert len(SessionFeedbackRepository().select()) == 1 and ResourceFeedbackRepository().select() == []


def test_feedback_on_unknown_content_is_404(stack: RunningStack, user: AuthAccount, content: tuple[str, str]) -> None:
    session = post(stack, user, "session-feedback", {"sessionId": "no-such-session", "feedbackTags": "useful"})
    assert (session.status_code, session.json()["message"]) == (404, "SESSION NOT FOUND")
    resource = post(stack, user, "resource-feedback", {"resourceId": "no-such-resource", "feedbackTags": "useful"})
    assert (resource.status_code, resource.json()["message"]) == (404, "RESOURCE NOT FOUND")
    storyblok_uuid = post(stack, user, "session-feedback", {"sessionId": SESSION, "feedbackTags": "useful"})
    assert storyblok_uuid.status_code == 404, "feedback names the session by its id, not its Storyblok uuid"
    assert feedback_events() == []
    anonymous = requests.post(f"{stack.api}/v1/session-feedback", json={}, timeout=30)
    assert anonymous.status_code == 401


def test_events_are_logged_for_the_caller(stack: RunningStack, user: AuthAccount) -> None:
    response = post(stack, user, "event-logger", {"event": "GROUNDING_EXERCISE_STARTED", "metadata": {"step": 2}})
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["event"], body["userId"], body["metadata"]) == (
        "GROUNDING_EXERCISE_STARTED",
        f"user-{user.uid}",
        {"step": 2},
    )
    assert set(body) == {"id", "createdAt", "updatedAt", "date", "event", "userId", "metadata"}
    without_metadata = post(stack, user, "event-logger", {"event": "LOGGED_IN"})
    assert without_metadata.status_code == 201 and without_metadata.json()["metadata"] is None
    stored = {doc_id: record.event for doc_id, record in EventLogRepository().select()}
    assert stored == {body["id"]: "GROUNDING_EXERCISE_STARTED", without_metadata.json()["id"]: "LOGGED_IN"}
    unknown = post(stack, user, "event-logger", {"event": "SOMETHING_ELSE"})
    assert unknown.status_code == 400
    assert unknown.json()["message"] == [
        "event must be one of the following values: CHAT_MESSAGE_SENT, CHAT_MESSAGE_RECEIVED, LOGGED_IN, "
        "LOGGED_OUT, GROUNDING_EXERCISE_STARTED"
    ]
    huge = post(stack, user, "event-logger", {"event": "LOGGED_IN", "metadata": {"x": "y" * 3000}})
    assert huge.status_code == 400


def test_a_deleted_users_progress_feedback_and_events_are_erased(
    stack: RunningStack, auth: AuthEmulator, user: AuthAccount, content: tuple[str, str]
) -> None:
    session_id, resource_id = content
    keeper = make_user(auth, "keeper@example.com")
    for account in (user, keeper):
        assert post(stack, account, "session-user/complete", {"storyblokUuid": SESSION}).status_code == 201
        assert post(stack, account, "resource-user", {"storyblokUuid": RESOURCE}).status_code == 201
        assert post(stack, account, "session-feedback", {"sessionId": session_id, "feedbackTags": "useful"}).ok
        assert post(stack, account, "resource-feedback", {"resourceId": resource_id, "feedbackTags": "useful"}).ok
        assert post(stack, account, "event-logger", {"event": "LOGGED_IN"}).ok
    repositories: list[Repository[Any]] = [
        CourseUsersRepository(),
        SessionUsersRepository(),
        ResourceUsersRepository(),
        SessionFeedbackRepository(),
        ResourceFeedbackRepository(),
        EventLogRepository(),
    ]
    gone, kept = f"user-{user.uid}", f"user-{keeper.uid}"
    assert [owned_by(repo, gone) for repo in repositories] == [1] * 6

    for _ in range(2):  # a second deletion event (a retry) finds nothing left and does no harm
        with UnitOfWork() as uow:
            uow.emit(USER_DELETED, UserDeleted(user_id=gone, deleted_at=utcnow().isoformat()))
    eventually(lambda: [owned_by(repo, gone) for repo in repositories], lambda counts: counts == [0] * 6)
    assert [owned_by(repo, kept) for repo in repositories] == [1] * 6
    assert post(stack, keeper, "session-user", {"storyblokUuid": SESSION}).json()["completed"] is True
