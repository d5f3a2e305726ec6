"""Slack notices end to end: Pub/Sub emulator → push to the gateway → subscriber → Slack webhook (a local server).

The stack's SLACK_WEBHOOK_URL_* point at the session's httpserver (`tests/support/fakes.py`), and so do the test
process's, for the in-process checks of the integration.
"""

from __future__ import annotations

import base64
import logging
import time
import uuid
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from bloom.core.errors import PermanentEventError
from bloom.core.logging import CloudLoggingFormatter
from bloom.feedback.events import FEEDBACK_SUBMITTED, FeedbackSubmitted
from bloom.notifications import service as notifications
from bloom.notifications import slack
from bloom.platform.events import Delivery
from bloom.platform.registry import registered
from bloom.platform.store.outbox import publish_message
from bloom.users.events import USER_DELETED, UserDeleted
from infra.manifest import load_everything
from infra.stack_runner import RunningStack
from tests.support.events import outcome
from tests.support.settings import SettingsEnv
from tests.support.wait import eventually

load_everything()

USERS_PATH = "/slack/users"
DELETED_PATH = "/slack/deleted-users"
# The emulator backs off between redeliveries of a failed push; the first retries come within seconds.
REDELIVERY_WAIT_S = 60


def _feedback(name: str = "Healing from trauma") -> FeedbackSubmitted:
    return FeedbackSubmitted(
        feedback_id=f"fb-{uuid.uuid4()}", kind="session", item_id="s-1", item_name=name, tags=["relatable", "useful"]
    )


def _publish(topic: str, payload: FeedbackSubmitted | UserDeleted, event_id: str | None = None) -> str:
    event_id = event_id or str(uuid.uuid4())
    publish_message(topic, payload.model_dump_json().encode(), {"event_id": event_id})
    return event_id


def _posts(httpserver: HTTPServer, path: str, marker: str) -> list[tuple[dict[str, Any], int]]:
    """(JSON body, status answered) of every request to `path` whose text mentions `marker` (this test's event)."""
    found = []
    for request, response in list(httpserver.log):
        if request.path == path and marker in request.get_data(as_text=True):
            found.append((request.get_json(), response.status_code))
    return found


def test_feedback_is_announced_without_personal_data(stack: RunningStack, httpserver: HTTPServer) -> None:
    httpserver.expect_request(USERS_PATH, method="POST").respond_with_data("ok")
    feedback = _feedback()
    _publish(FEEDBACK_SUBMITTED.name, feedback)
    [(body, status)] = eventually(lambda: _posts(httpserver, USERS_PATH, feedback.feedback_id), bool)
    assert status == 200
    assert body == {
        "text": f"New session feedback on Healing from trauma: relatable, useful (feedback {feedback.feedback_id})"
    }


def test_a_deleted_user_is_announced_by_id_only(stack: RunningStack, httpserver: HTTPServer) -> None:
    httpserver.expect_request(DELETED_PATH, method="POST").respond_with_data("ok")
    user_id = str(uuid.uuid4())
    _publish(USER_DELETED.name, UserDeleted(user_id=user_id, deleted_at="2030-01-01T12:00:00+00:00"))
    [(body, _)] = eventually(lambda: _posts(httpserver, DELETED_PATH, user_id), bool)
    text = body["text"]
    assert text == (
        f"User {user_id} was deleted at 2030-01-01T12:00:00+00:00: their account and personal data were erased."
    )
    assert "@" not in text


def test_a_slack_server_error_is_retried_until_it_succeeds(stack: RunningStack, httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(USERS_PATH, method="POST").respond_with_data("internal_error", status=500)
    httpserver.expect_request(USERS_PATH, method="POST").respond_with_data("ok")
    feedback = _feedback()
    event_id = _publish(FEEDBACK_SUBMITTED.name, feedback)
    posts = eventually(
        lambda: _posts(httpserver, USERS_PATH, feedback.feedback_id),
        lambda found: any(status == 200 for _, status in found),
        timeout_s=REDELIVERY_WAIT_S,
    )
    assert [status for _, status in posts] == [500, 200]
    assert posts[0][0] == posts[1][0]
    assert outcome("slack_feedback_submitted", event_id) == "done"  # acknowledged: a redelivery is a duplicate
    assert len(_posts(httpserver, USERS_PATH, feedback.feedback_id)) == 2


def test_a_message_slack_refuses_is_not_retried(stack: RunningStack, httpserver: HTTPServer) -> None:
    httpserver.expect_request(USERS_PATH, method="POST").respond_with_data("invalid_payload", status=400)
    feedback = _feedback()
    event_id = _publish(FEEDBACK_SUBMITTED.name, feedback)
    # "failed" is recorded only on the acknowledging path; a retry would have released the claim instead
    eventually(lambda: outcome("slack_feedback_submitted", event_id), lambda status: status == "failed")
    assert [status for _, status in _posts(httpserver, USERS_PATH, feedback.feedback_id)] == [400]


def test_an_event_delivered_twice_posts_one_message(stack: RunningStack, httpserver: HTTPServer) -> None:
    httpserver.expect_request(USERS_PATH, method="POST").respond_with_data("ok")
    feedback = _feedback()
    event_id = _publish(FEEDBACK_SUBMITTED.name, feedback)
    eventually(lambda: outcome("slack_feedback_submitted", event_id), lambda status: status == "done")
    push = {
        "message": {
            "data": base64.b64encode(feedback.model_dump_json().encode()).decode(),
            "messageId": "direct-1",
            "attributes": {"event_id": event_id},
        }
    }
    url = stack.api.removesuffix("/api") + "/_/events/slack_feedback_submitted"
    for _ in range(2):  # Pub/Sub delivers at least once: the same event again, answered before anything is posted
        assert requests.post(url, json=push, timeout=10).text == "duplicate"
    assert len(_posts(httpserver, USERS_PATH, feedback.feedback_id)) == 1


def _deliver(function: str, payload: FeedbackSubmitted) -> str:
    event_id = str(uuid.uuid4())
    delivery = Delivery(
        event_id=event_id,
        message_id=event_id,
        data=payload.model_dump_json().encode(),
        attributes={},
        published_at=None,
    )
    outcome: str = registered()[function].extra["deliver"](delivery)
    return outcome


def _log_text(records: list[logging.LogRecord]) -> str:
    formatter = CloudLoggingFormatter()
    return "\n".join(formatter.format(record) for record in records)


def test_no_webhook_configured_is_logged_and_acknowledged(
    stack: RunningStack, httpserver: HTTPServer, settings_env: SettingsEnv, caplog: pytest.LogCaptureFixture
) -> None:
    settings_env.unset(slack.USERS.secret)
    feedback = _feedback()
    with caplog.at_level(logging.INFO):
        assert notifications.announce_feedback(feedback) is False
        assert _deliver("slack_feedback_submitted", feedback) == "done"
    assert httpserver.log == []
    assert "slack channel not configured" in caplog.text
    assert feedback.item_name not in _log_text(caplog.records)


def test_slack_answers_are_classified(stack: RunningStack, httpserver: HTTPServer) -> None:
    for status, body in [(429, "rate_limited"), (503, "")]:
        httpserver.expect_oneshot_request(USERS_PATH).respond_with_data(body, status=status)
        with pytest.raises(slack.SlackUnavailable, match=f"HTTP {status}"):
            slack.post_message(slack.USERS, "hello")
    for status, body in [(400, "invalid_payload"), (404, "no_service"), (410, "channel_is_archived")]:
        httpserver.expect_oneshot_request(USERS_PATH).respond_with_data(body, status=status)
        with pytest.raises(PermanentEventError, match=f"HTTP {status} {body}"):
            slack.post_message(slack.USERS, "hello")
    httpserver.expect_oneshot_request(USERS_PATH).respond_with_data("<html>Moved</html>", status=302)
    with pytest.raises(PermanentEventError, match=r"HTTP 302$"):
        slack.post_message(slack.USERS, "hello")
    httpserver.expect_oneshot_request(USERS_PATH).respond_with_data("ok")
    assert slack.post_message(slack.USERS, "hello") is True
    requests_sent: list[Request] = [request for request, _ in httpserver.log]
    assert len(requests_sent) == 7
    assert all(request.get_json() == {"text": "hello"} for request in requests_sent)


def test_a_slow_slack_times_out_as_a_transient_failure(
    stack: RunningStack, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def slow(_: Request) -> Response:
        time.sleep(2)
        return Response("ok")

    httpserver.expect_oneshot_request(USERS_PATH).respond_with_handler(slow)
    monkeypatch.setattr(slack, "TIMEOUT_S", (1.0, 0.5))  # the production timeout, shortened to keep the test fast
    with pytest.raises(slack.SlackUnavailable, match="ReadTimeout"):
        slack.post_message(slack.USERS, "hello")


def test_failures_never_reveal_the_webhook_url_or_the_message(
    stack: RunningStack, settings_env: SettingsEnv, caplog: pytest.LogCaptureFixture
) -> None:
    secret_path = "/services/T000SECRET/B000SECRET/abcSECRETdef"
    settings_env.set(slack.USERS.secret, f"http://127.0.0.1:9{secret_path}")  # nothing listens on port 9
    feedback = _feedback("A very particular session name")
    with pytest.raises(slack.SlackUnavailable) as unreachable:
        slack.post_message(slack.USERS, notifications.feedback_message(feedback))
    assert "SECRET" not in str(unreachable.value) and unreachable.value.__cause__ is None
    with caplog.at_level(logging.INFO), pytest.raises(slack.SlackUnavailable):
        _deliver("slack_feedback_submitted", feedback)
    logged = _log_text(caplog.records)
    assert "event failed; Pub/Sub will redeliver" in logged
    assert "SECRET" not in logged and "particular" not in logged
    settings_env.set(slack.USERS.secret, f"not a url{secret_path}")
    with pytest.raises(PermanentEventError) as unusable:
        slack.post_message(slack.USERS, "hello")
    assert "SECRET" not in str(unusable.value)
