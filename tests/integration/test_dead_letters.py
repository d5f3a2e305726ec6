"""Dead letters end to end on the Pub/Sub emulator: a subscriber that keeps failing, its event dead-lettered after
the subscription's maximum delivery attempts, then replayed with the CLI once the cause is fixed.

The failing subscriber is the real `slack_user_deleted`, failing because Slack (the session's fake server)
answers 503, which the integration treats as worth retrying.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from google.cloud import pubsub_v1
from pytest_httpserver import HTTPServer

from bloom.platform.registry import registered
from bloom.platform.store.outbox import publish_message
from bloom.users.events import USER_DELETED, UserDeleted
from infra import cli
from infra.dead_letters import DeadLetter, dead_letter_topic, peek
from infra.manifest import load_everything
from infra.stack import MAX_DELIVERY_ATTEMPTS, push_subscription
from infra.stack_runner import RunningStack
from tests.support.events import outcome
from tests.support.wait import eventually

load_everything()

DELETED_PATH = "/slack/deleted-users"
# MAX_DELIVERY_ATTEMPTS pushes with the stack's short backoff, then the move to the dead-letter topic.
DEAD_LETTER_WAIT_S = 90


def _posts(httpserver: HTTPServer, marker: str) -> list[int]:
    """The status Slack answered to each post about this test's user."""
    return [
        response.status_code
        for request, response in list(httpserver.log)
        if request.path == DELETED_PATH and marker in request.get_data(as_text=True)
    ]


def _mine(project: str, event_id: str) -> list[DeadLetter]:
    return [letter for letter in peek(project, USER_DELETED.name) if letter.event_id == event_id]


def _release_unacknowledged(project: str, since: datetime) -> None:
    """Make every dead letter since `since` that is leased but not acknowledged visible again at once (a seek), so
    that `_mine` sees a letter a replay took without acknowledging it, instead of waiting out its lease."""
    subscriber = pubsub_v1.SubscriberClient()
    name = subscriber.subscription_path(project, dead_letter_topic(USER_DELETED.name))
    subscriber.seek(request={"subscription": name, "time": since})


def test_every_subscriber_dead_letters_what_it_cannot_deliver(stack: RunningStack) -> None:
    subscriber = pubsub_v1.SubscriberClient()
    for spec in registered().values():
        if spec.topic is None:
            continue
        found = subscriber.get_subscription(
            subscription=subscriber.subscription_path(stack.project, push_subscription(spec))
        )
        assert found.dead_letter_policy.dead_letter_topic.endswith(f"/topics/{dead_letter_topic(spec.topic.name)}")
        assert found.dead_letter_policy.max_delivery_attempts == MAX_DELIVERY_ATTEMPTS
        assert found.retry_policy.minimum_backoff and found.ack_deadline_seconds >= spec.deployment.timeout_s


def test_a_failing_event_is_dead_lettered_then_replayed_once_fixed(
    stack: RunningStack, httpserver: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    httpserver.expect_request(DELETED_PATH, method="POST").respond_with_data("", status=503)
    started = datetime.now(UTC)
    user_id, event_id = str(uuid.uuid4()), str(uuid.uuid4())
    payload = UserDeleted(user_id=user_id, deleted_at="2030-01-01T12:00:00+00:00").model_dump_json().encode()
    publish_message(USER_DELETED.name, payload, {"event_id": event_id})

    [letter] = eventually(lambda: _mine(stack.project, event_id), bool, timeout_s=DEAD_LETTER_WAIT_S)
    assert letter.subscription == "slack-user-deleted-push"
    assert letter.attempts == str(MAX_DELIVERY_ATTEMPTS)
    assert _posts(httpserver, user_id) == [503] * MAX_DELIVERY_ATTEMPTS
    assert outcome("slack_user_deleted", event_id) is None  # each failure released its claim
    erasers = [
        spec.name for spec in registered().values() if spec.topic == USER_DELETED and spec.name != "slack_user_deleted"
    ]
    assert erasers and all(outcome(name, event_id) == "done" for name in erasers)

    httpserver.clear()  # Slack is back
    httpserver.expect_request(DELETED_PATH, method="POST").respond_with_data("ok")
    state_file = tmp_path / "stack.json"
    state_file.write_text(json.dumps({"env": stack.env}))
    cli.main(["--state-file", str(state_file), "dead-letters", "list"])
    assert event_id in capsys.readouterr().out
    cli.main(["--state-file", str(state_file), "dead-letters", "replay", USER_DELETED.name])
    assert f"replayed event {event_id} (dead-lettered by slack-user-deleted-push)" in capsys.readouterr().out

    # The other subscribers get the replay too and skip it as a duplicate (their "done" claims stay as they are).
    eventually(lambda: outcome("slack_user_deleted", event_id), lambda status: status == "done")
    assert _posts(httpserver, user_id) == [200]
    assert all(outcome(name, event_id) == "done" for name in erasers)
    _release_unacknowledged(stack.project, started)
    assert _mine(stack.project, event_id) == []  # the replay acknowledged it
