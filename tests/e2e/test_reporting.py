"""Reporting digests end to end: scheduled jobs through Pub/Sub, the super admin's endpoints, Slack as a local fake
that checks what we send (`chat.postMessage`, bot token, channel, thread replies)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from bloom.core.time import utcnow
from bloom.feedback.events import FeedbackSubmitted
from bloom.platform.events import PROCESSED_COLLECTION
from bloom.platform.store.client import db
from bloom.reporting import service as reporting
from bloom.reporting.models import RunRecord, day_doc_id, local_day, previous_start, run_id
from bloom.reporting.repository import RunsRepository
from bloom.reporting.schemas import METRICS, Period
from bloom.users.events import UserCreated
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.jobs import fire_job
from infra.manifest import load_everything
from infra.stack_runner import RunningStack
from tests.support.accounts import super_admin
from tests.support.users import make_user
from tests.support.wait import eventually

load_everything()
POST_MESSAGE = "/slack-api/chat.postMessage"
LONDON = "Europe/London"


class SlackFake:
    """Answers chat.postMessage like Slack; `fail_calls` are the call numbers (1-based) answered with an error."""

    def __init__(self, server: HTTPServer, fail_calls: set[int] | None = None) -> None:
        self.posts: list[dict[str, Any]] = []
        self.calls = 0
        self.fail_calls = fail_calls or set()
        server.expect_request(POST_MESSAGE, method="POST").respond_with_handler(self.handle)

    def handle(self, request: Request) -> Response:
        self.calls += 1
        assert request.headers["Authorization"] == "Bearer xoxb-test-reporting-token"
        body = request.get_json(silent=True) or dict(request.form)
        if self.calls in self.fail_calls:
            return Response(json.dumps({"ok": False, "error": "channel_not_found"}), content_type="application/json")
        self.posts.append(body)
        ts = f"{1700000000 + self.calls}.000100"
        return Response(json.dumps({"ok": True, "channel": body["channel"], "ts": ts}), content_type="application/json")

    @property
    def headlines(self) -> list[dict[str, Any]]:
        return [post for post in self.posts if not post.get("thread_ts")]


def yesterday() -> date:
    return local_day(utcnow(), LONDON) - timedelta(days=1)


def noon(day: date) -> str:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC).isoformat()


def count_signups(day: date, n: int, partner: str | None = None) -> None:
    for _ in range(n):
        payload = UserCreated(
            user_id=str(uuid.uuid4()),
            partner_ids=[partner] if partner else [],
            sign_up_language="en",
            created_at=noon(day),
        )
        reporting.count_event("user.created", payload, str(uuid.uuid4()))


def run_request(stack: RunningStack, admin: AuthAccount, period: Period, start: date) -> requests.Response:
    return requests.post(
        f"{stack.api}/reporting/run",
        params={"period": period, "start": start.isoformat()},
        headers=admin.headers,
        timeout=60,
    )


def handled(job: str) -> int:
    """How many deliveries of the job's topic its function finished."""
    docs = db().collection(PROCESSED_COLLECTION).stream()
    return sum(1 for doc in docs if doc.id.startswith(f"{job}:") and (doc.to_dict() or {}).get("status") == "done")


def test_the_same_job_fired_three_times_posts_once(stack: RunningStack, httpserver: HTTPServer) -> None:
    slack = SlackFake(httpserver)
    day = yesterday()
    count_signups(day, 3, partner="partner-a")
    for _ in range(3):
        fire_job("daily_digest")
    eventually(lambda: handled("daily_digest"), lambda n: n == 3, timeout_s=60)
    [headline] = slack.headlines
    assert headline["channel"] == "C0REPORTING"
    assert headline["text"].startswith(f"*Bloom daily report* {day.isoformat()} (Europe/London)")
    assert "• New users: 3" in headline["text"] and "• New partner users: 3" in headline["text"]
    assert "• Therapy bookings booked: 0" in headline["text"]  # no therapy topic yet: 0 from the counters
    assert len(slack.posts) == 1  # a daily digest has no breakdown replies
    run = RunsRepository().get(run_id("daily", day))
    assert run is not None and (run.status, run.attempts, run.metrics["newUsers"]) == ("sent", 1, 3)


def test_slack_failing_marks_the_run_failed_and_a_rerun_posts_what_is_missing(
    stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer
) -> None:
    start = _last_week()
    count_signups(start + timedelta(days=1), 2, partner="partner-b")
    feedback = FeedbackSubmitted(
        feedback_id="f",
        kind="session",
        item_id="s",
        item_name="",
        tags=["useful"],
        submitted_at=noon(start + timedelta(days=2)),
    )
    reporting.count_event("feedback.submitted", feedback, str(uuid.uuid4()))
    admin = super_admin(auth)
    slack = SlackFake(httpserver, fail_calls={2})  # the headline goes out, the first reply fails
    failed = run_request(stack, admin, "weekly", start)
    assert failed.status_code == 201, failed.text
    body = failed.json()
    assert (body["status"], body["error"]) == ("failed", "slack answered channel_not_found")
    assert body["metrics"]["newUsers"] == 2 and body["breakdowns"]["feedbackByTag"] == {"useful": 1}
    assert len(slack.headlines) == 1

    rerun = run_request(stack, admin, "weekly", start).json()
    assert (rerun["status"], rerun["attempts"], rerun["error"]) == ("sent", 2, None)
    assert len(slack.headlines) == 1  # the headline is not posted again
    replies = [post for post in slack.posts if post.get("thread_ts")]
    assert {reply["thread_ts"] for reply in replies} == {rerun["slackTs"]}
    assert [reply["text"].splitlines()[0] for reply in replies] == [
        "*New users by partner*",
        "*New users by language*",
        "*Feedback by tag*",
    ]
    posted = len(slack.posts)
    assert run_request(stack, admin, "weekly", start).json()["status"] == "sent"
    assert len(slack.posts) == posted  # a sent run is never posted twice


def _last_week() -> date:
    today = local_day(utcnow(), LONDON)
    this_week = today - timedelta(days=today.weekday())
    return this_week - timedelta(days=7)


def test_anomalies_and_a_failing_metric(stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer) -> None:
    slack = SlackFake(httpserver)
    day = yesterday()
    now = utcnow()
    for n, earlier in enumerate(previous_start("daily", day, k) for k in range(1, 8)):
        metrics: dict[str, int | None] = {metric: 10 for metric in METRICS}
        metrics["newUsers"] = 9 + n % 3  # 9, 10, 11, ...: mean about 10, spread under 1
        RunsRepository().save(
            run_id("daily", earlier),
            RunRecord(
                id=run_id("daily", earlier),
                period="daily",
                start=earlier.isoformat(),
                end=(earlier + timedelta(days=1)).isoformat(),
                status="sent",
                computed=True,
                metrics=metrics,
                created_at=now,
                updated_at=now,
            ),
        )
    count_signups(day, 20)
    db().collection("reportingCounters").document(day_doc_id(day, 3)).set(
        {"counts": {"deletedUsers": "oops"}}, merge=True
    )
    admin = super_admin(auth)
    run = run_request(stack, admin, "daily", day).json()
    assert run["status"] == "sent"
    assert run["metrics"]["newUsers"] == 20 and run["metrics"]["deletedUsers"] is None
    assert run["failedMetrics"] == ["deletedUsers"]
    anomalies = run["anomalies"]
    assert anomalies[0]["metric"] == "newUsers" and anomalies[0]["zScore"] > 2.5
    mean = anomalies[0]["baselineMean"]
    assert anomalies[0]["changePercent"] == pytest.approx((20 - mean) / mean * 100, abs=0.1)
    assert len(anomalies) <= 3
    [headline] = slack.headlines
    assert "• Deleted users: n/a" in headline["text"]
    assert ":x: Could not compute: deletedUsers" in headline["text"]
    assert ":warning: New users is 20 against a usual" in headline["text"]


def test_runs_are_listed_and_checked(stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer) -> None:
    SlackFake(httpserver)
    admin = super_admin(auth)
    day = yesterday()
    assert run_request(stack, admin, "daily", day).status_code == 201
    assert run_request(stack, admin, "daily", day - timedelta(days=1)).status_code == 201
    assert run_request(stack, admin, "weekly", _last_week()).status_code == 201
    listed = requests.get(
        f"{stack.api}/v1/reporting/runs", params={"period": "daily", "limit": "5"}, headers=admin.headers, timeout=30
    )
    assert listed.status_code == 200, listed.text
    assert [run["start"] for run in listed.json()] == [day.isoformat(), (day - timedelta(days=1)).isoformat()]
    everything = requests.get(f"{stack.api}/v1/reporting/runs", headers=admin.headers, timeout=30).json()
    assert len(everything) == 3 and {run["period"] for run in everything} == {"daily", "weekly"}

    not_a_start = run_request(stack, admin, "weekly", _last_week() + timedelta(days=1))
    assert (not_a_start.status_code, not_a_start.json()["message"]) == (
        400,
        "start must be the first day of a period of that kind",
    )
    today = local_day(utcnow(), LONDON)
    not_over = run_request(stack, admin, "daily", today)
    assert (not_over.status_code, not_over.json()["message"]) == (400, "the period has not ended yet")
    user = make_user(auth, "someone@example.com")
    assert requests.get(f"{stack.api}/v1/reporting/runs", headers=user.headers, timeout=30).status_code == 403
