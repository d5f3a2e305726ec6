"""The daily digest's figures as Cloud Monitoring custom metrics: Monitoring is a local fake that checks the
`timeSeries.create` body; the export's clock is an argument; the daily job runs on the emulators."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from bloom.core.settings import get_settings
from bloom.core.time import utcnow
from bloom.credentialing.events import ApplicationStatusChanged
from bloom.credentialing.schemas import ApplicationStatus
from bloom.reporting import export
from bloom.reporting import service as reporting
from bloom.reporting.backfill import backfill
from bloom.reporting.models import day_start, local_day, run_id
from bloom.reporting.repository import RunsRepository
from bloom.reporting.schemas import METRICS
from bloom.support.events import SlaBreached, TicketFirstResponse, TicketOpened, TicketResolved
from bloom.users.events import UserCreated
from infra.stack_runner import RunningStack
from tests.support.settings import SettingsEnv

PROJECT_PATH = "/monitoring/v3/projects/{project}/timeSeries"
END = datetime(2026, 3, 30, 0, 0, tzinfo=UTC)


class MonitoringFake:
    """Answers timeSeries.create like Monitoring (200, `{}`); `statuses` are the answers of the first calls."""

    def __init__(self, server: HTTPServer, statuses: list[int] | None = None) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.statuses = list(statuses or [])
        path = PROJECT_PATH.format(project=get_settings().project_id)
        server.expect_request(path, method="POST").respond_with_handler(self.handle)

    def handle(self, request: Request) -> Response:
        self.bodies.append(request.get_json())
        self.headers.append(dict(request.headers))
        status = self.statuses.pop(0) if self.statuses else 200
        return Response(json.dumps({} if status == 200 else {"error": {"code": status}}), status=status)

    @property
    def series(self) -> list[dict[str, Any]]:
        return [series for body in self.bodies for series in body["timeSeries"]]


@pytest.fixture
def monitoring(httpserver: HTTPServer, settings_env: SettingsEnv) -> MonitoringFake:
    settings_env.set("MONITORING_API_URL", httpserver.url_for("/monitoring"))
    return MonitoringFake(httpserver)


def test_a_day_is_one_gauge_point_per_metric_and_one_series_per_partner(monitoring: MonitoringFake) -> None:
    metrics: dict[str, int | None] = {"newUsers": 5, "activeUsers": None, "supportSlaBreaches": 2}
    breakdowns = {"newUsersByPartner": {"partner-b": 1, "partner-a": 3}, "feedbackByTag": {"kind": 4}}
    retention = {12: (40, 3), 1: (10, 6)}
    assert export.export_day(END, metrics, breakdowns, retention, now=END + timedelta(hours=9)) is True
    [body] = monitoring.bodies
    assert "authorization" not in {name.lower() for name in monitoring.headers[0]}  # a fake gets no token
    project = get_settings().project_id
    point = {"interval": {"endTime": "2026-03-30T00:00:00Z"}}
    expected = [
        ("newUsers", {}, "5"),
        ("supportSlaBreaches", {}, "2"),
        ("newUsersByPartner", {"partner": "partner-a"}, "3"),
        ("newUsersByPartner", {"partner": "partner-b"}, "1"),
        ("retentionCohortSignups", {"weeks_after": "1"}, "10"),
        ("retentionActiveAgain", {"weeks_after": "1"}, "6"),
        ("retentionCohortSignups", {"weeks_after": "12"}, "40"),
        ("retentionActiveAgain", {"weeks_after": "12"}, "3"),
    ]
    assert body["timeSeries"] == [
        {
            "metric": {"type": f"custom.googleapis.com/bloom/reporting/{name}", "labels": labels},
            "resource": {"type": "global", "labels": {"project_id": project}},
            "metricKind": "GAUGE",
            "valueType": "INT64",
            "points": [{**point, "value": {"int64Value": value}}],
        }
        for name, labels, value in expected
    ]  # the null metric is not written as 0, and only the partner breakdown becomes series


def test_more_than_200_series_go_in_several_calls(monitoring: MonitoringFake) -> None:
    partners = {f"partner-{n:03d}": 1 for n in range(250)}
    assert export.export_day(END, {"newUsers": 250}, {"newUsersByPartner": partners}, {}, now=END)
    assert [len(body["timeSeries"]) for body in monitoring.bodies] == [200, 51]


def test_a_day_older_than_monitoring_accepts_is_skipped(monitoring: MonitoringFake) -> None:
    assert export.export_day(END, {"newUsers": 1}, {}, {}, now=END + timedelta(hours=24)) is True
    assert export.export_day(END, {"newUsers": 1}, {}, {}, now=END + timedelta(hours=24, seconds=1)) is False
    assert len(monitoring.bodies) == 1


def test_monitoring_refusing_is_an_export_failure(httpserver: HTTPServer, settings_env: SettingsEnv) -> None:
    settings_env.set("MONITORING_API_URL", httpserver.url_for("/monitoring"))
    fake = MonitoringFake(httpserver, statuses=[400])
    with pytest.raises(export.ExportFailed, match="monitoring answered 400"):
        export.export_day(END, {"newUsers": 1}, {}, {}, now=END)
    assert len(fake.bodies) == 1  # a refused write is not retried


def test_no_monitoring_url_means_no_export(httpserver: HTTPServer, settings_env: SettingsEnv) -> None:
    settings_env.unset("MONITORING_API_URL")
    assert export.export_day(END, {"newUsers": 1}, {}, {}, now=END) is False
    assert httpserver.log == []


def _signup(day: date, partner: str) -> None:
    created = datetime(day.year, day.month, day.day, 12, tzinfo=UTC).isoformat()
    payload = UserCreated(user_id=str(uuid.uuid4()), partner_ids=[partner], sign_up_language="en", created_at=created)
    reporting.count_event("user.created", payload, str(uuid.uuid4()))


def test_the_daily_job_exports_yesterday_once_and_retries_after_a_failure(
    stack: RunningStack, httpserver: HTTPServer, settings_env: SettingsEnv
) -> None:
    settings_env.set("MONITORING_API_URL", httpserver.url_for("/monitoring"))
    httpserver.expect_request("/slack-api/chat.postMessage").respond_with_json({"ok": True, "ts": "1.1"})
    fake = MonitoringFake(httpserver, statuses=[503])  # a write that may have landed is not retried
    zone = get_settings().reporting_timezone
    yesterday = local_day(utcnow(), zone) - timedelta(days=1)
    for _ in range(2):
        _signup(yesterday, "partner-a")
    scheduled_at = utcnow().isoformat()

    reporting.run_daily(scheduled_at)  # Monitoring unavailable: the digest is sent, the export is not recorded
    run = RunsRepository().get(run_id("daily", yesterday))
    assert run is not None and (run.status, run.exported) == ("sent", False)

    reporting.run_daily(scheduled_at)  # the job re-fired: the digest is not posted again, the export is
    reporting.run_daily(scheduled_at)  # and once exported, never again
    run = RunsRepository().get(run_id("daily", yesterday))
    assert run is not None and run.exported
    assert len(fake.bodies) == 2
    written = {series["metric"]["type"].rsplit("/", 1)[1]: series for series in fake.bodies[-1]["timeSeries"]}
    # No ticket answered or resolved: no mean is written; the open tickets gauge is 0.
    assert set(written) == {
        *METRICS,
        "supportOpenTickets",
        "newUsersByPartner",
        "retentionCohortSignups",
        "retentionActiveAgain",
    }
    assert written["newUsers"]["points"][0]["value"] == {"int64Value": "2"}
    assert written["newUsersByPartner"]["metric"]["labels"] == {"partner": "partner-a"}
    end = day_start(yesterday + timedelta(days=1), zone).astimezone(UTC)
    assert written["newUsers"]["points"][0]["interval"]["endTime"] == end.isoformat().replace("+00:00", "Z")


def test_retention_counts_each_member_once_per_offset_whatever_the_deliveries(stack: RunningStack) -> None:
    monday = date(2026, 1, 5)
    members = [str(uuid.uuid4()) for _ in range(3)]
    for user_id in members:
        signup = UserCreated(user_id=user_id, partner_ids=[], sign_up_language="en", created_at=f"{monday}T12:00:00Z")
        assert reporting.join_cohort(signup) is True
        assert reporting.join_cohort(signup) is False  # redelivered
    stranger = str(uuid.uuid4())  # signed up before the cohorts existed: counts nowhere

    def active(user_id: str, day: date) -> bool:
        return reporting.record_activity(user_id, f"{day}T12:00:00Z")

    week = timedelta(weeks=1)
    assert active(members[0], monday + week) and active(members[1], monday + week + timedelta(days=6))
    assert not active(members[0], monday + week + timedelta(days=2))  # the same offset again
    assert not active(members[2], monday + 2 * week)  # week 2 is not measured
    assert not active(members[2], monday)  # nor the signup week itself
    assert active(members[2], monday + 4 * week) and active(members[0], monday + 12 * week)
    assert not active(stranger, monday + week)

    assert reporting.retention_figures(monday + week) == {1: (3, 2), 4: (0, 0), 12: (0, 0)}
    assert reporting.retention_figures(monday + 4 * week + timedelta(days=3))[4] == (3, 1)
    assert reporting.retention_figures(monday + 12 * week)[12] == (3, 1)

    reporting.leave_cohort(members[1])  # erased: the member and their marks go, the cohort's counts stay
    assert not active(members[1], monday + 4 * week)
    assert reporting.retention_figures(monday + week)[1] == (3, 2)


def test_sla_breaches_are_counted_once_and_a_backfill_keeps_them(stack: RunningStack) -> None:
    day = local_day(utcnow(), get_settings().reporting_timezone) - timedelta(days=1)
    breach = SlaBreached(ticket_id="t-1", number=1, priority="high", kind="first_response", due_at=f"{day}T09:00:00Z")
    event_id = str(uuid.uuid4())
    assert reporting.count_event("support.sla-breached", breach, event_id, published_at=f"{day}T12:00:00+00:00")
    assert not reporting.count_event("support.sla-breached", breach, event_id, published_at=f"{day}T12:00:00+00:00")
    backfill(day)  # rebuilds what records can tell; breaches are not read back, so they are kept
    metrics, breakdowns, _ = reporting.compute("daily", day)
    assert metrics["supportSlaBreaches"] == 1
    assert breakdowns["slaBreachesByKind"] == {"first_response": 1}


def test_the_daily_job_exports_the_support_and_credentialing_figures_of_yesterday(
    stack: RunningStack, httpserver: HTTPServer, settings_env: SettingsEnv
) -> None:
    settings_env.set("MONITORING_API_URL", httpserver.url_for("/monitoring"))
    httpserver.expect_request("/slack-api/chat.postMessage").respond_with_json({"ok": True, "ts": "1.1"})
    fake = MonitoringFake(httpserver)
    today = local_day(utcnow(), get_settings().reporting_timezone)
    yesterday, now = today - timedelta(days=1), utcnow().isoformat()
    noon = f"{yesterday}T12:00:00+00:00"

    def count(topic: str, payload: Any, times: int = 2) -> None:  # every event delivered twice
        event_id = str(uuid.uuid4())
        for _ in range(times):
            reporting.count_event(topic, payload, event_id)

    for ticket in ("a", "b", "c"):
        count("support.ticket-opened", TicketOpened(ticket_id=ticket, priority="high", opened_at=noon))
    for ticket, minutes in (("a", 10), ("b", 21)):
        answer = TicketFirstResponse(ticket_id=ticket, priority="high", responded_at=noon, minutes=minutes)
        count("support.ticket-first-response", answer)
    count("support.ticket-resolved", TicketResolved(ticket_id="a", priority="high", resolved_at=noon, minutes=90))
    # Today, before the job: taken off the gauges, which show the end of yesterday.
    count("support.ticket-resolved", TicketResolved(ticket_id="b", priority="high", resolved_at=now, minutes=5))
    steps: list[tuple[str, ApplicationStatus | None, ApplicationStatus]] = [
        (noon, None, "draft"),
        (noon, "draft", "submitted"),
        (now, "submitted", "in_review"),
    ]
    for at, before, after in steps:
        change = ApplicationStatusChanged(application_id="app", from_status=before, to_status=after, at=at)
        count("credentialing.application-status-changed", change)
    created = ApplicationStatusChanged(application_id="other", from_status=None, to_status="draft", at=noon)
    count("credentialing.application-status-changed", created)

    reporting.run_daily(now)
    written: dict[str, list[dict[str, Any]]] = {}
    for series in fake.series:
        written.setdefault(series["metric"]["type"].rsplit("/", 1)[1], []).append(series)

    def value(name: str) -> str:
        [series] = written[name]
        return str(series["points"][0]["value"]["int64Value"])

    assert (value("supportOpenTickets"), value("supportFirstResponseMinutes")) == ("2", "16")  # 15.5 rounds to 16
    assert value("supportResolutionMinutes") == "90"
    by_status = {
        s["metric"]["labels"]["status"]: s["points"][0]["value"]["int64Value"]
        for s in written["credentialingApplicationsByStatus"]
    }
    assert by_status == {"draft": "1", "submitted": "1"}
