"""The support and credentialing events the dashboards count, end to end: the HTTP calls (and the credentialing
job) record them in the outbox in their transaction, the reporting subscribers count them once through Pub/Sub,
and a second delivery of each counts nothing (docs/reporting.md, Dashboards)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from pytest_httpserver import HTTPServer

from bloom.core.settings import get_settings
from bloom.core.time import utcnow
from bloom.credentialing import reminders
from bloom.platform.store.outbox import OutboxRepository
from bloom.platform.topics import all_topics
from bloom.reporting import service as reporting
from bloom.reporting.models import SHARDS, day_doc_id, local_day, sum_metric
from bloom.reporting.repository import CountersRepository
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.credentialing import add_document, requirements_source
from tests.support.credentialing import api as credentialing_api
from tests.support.practice import patient, practice_admin, therapist
from tests.support.support_console import TICKETS, api, comment, open_ticket
from tests.support.wait import eventually

CLEAN = {"results": [{"flagged": False, "categories": {"hate": False, "self-harm": False}}]}
SUPPORT_TOPICS = ("support.ticket-opened", "support.ticket-first-response", "support.ticket-resolved")
STATUS_CHANGED = "credentialing.application-status-changed"


def recorded(topic: str) -> list[tuple[str, dict[str, Any]]]:
    """(event id, payload) of the topic's outbox entries, oldest first."""
    entries = sorted((entry for _, entry in OutboxRepository().select()), key=lambda entry: entry.created_at)
    return [(entry.id, json.loads(entry.data)) for entry in entries if entry.topic == topic]


def redelivered(topic: str) -> int:
    """Count every recorded event of the topic again, with its own id: how many counted anything."""
    model = all_topics()[topic].payload
    return sum(
        reporting.count_event(topic, model.model_validate(payload), event_id) for event_id, payload in recorded(topic)
    )


def today_counts(*metrics: str) -> dict[str, int]:
    today = local_day(utcnow(), get_settings().reporting_timezone)
    docs = CountersRepository().get_many(day_doc_id(today, shard) for shard in range(SHARDS)).values()
    return {metric: sum_metric(docs, metric) for metric in metrics}


def figures_today() -> tuple[dict[str, int | None], dict[str, dict[str, int]]]:
    today = local_day(utcnow(), get_settings().reporting_timezone)
    return reporting.dashboard_figures_of(today, today + timedelta(days=1))


def set_status(stack: RunningStack, admin: AuthAccount, ticket_id: str, status: str) -> None:
    response = api(stack, "PATCH", f"{TICKETS}/{ticket_id}", admin, json={"status": status})
    assert response.status_code == 200, response.text


def test_tickets_opened_answered_resolved_and_reopened_move_the_counters_once_each(
    stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/openai/v1/moderations", method="POST").respond_with_json(CLEAN)
    admin, pat = practice_admin(auth), patient(auth, "pat.dashboard@example.com")
    answered = open_ticket(stack, pat, priority="high")
    waiting = open_ticket(stack, pat)
    assert comment(stack, admin, answered["id"], "We are on it") == 201
    assert comment(stack, admin, answered["id"], "Still on it") == 201  # not a first response again
    assert comment(stack, pat, waiting["id"], "Any news?") == 201  # the requester's own: not a response
    set_status(stack, admin, answered["id"], "resolved")
    set_status(stack, admin, answered["id"], "closed")  # done -> done: nothing
    set_status(stack, admin, answered["id"], "open")  # reopened: open again
    set_status(stack, admin, answered["id"], "pending")  # open -> open: nothing
    set_status(stack, admin, answered["id"], "resolved")

    opened = [payload for _, payload in recorded("support.ticket-opened")]
    assert [(p["ticket_id"], p["reopened"]) for p in opened] == [
        (answered["id"], False),
        (waiting["id"], False),
        (answered["id"], True),
    ]
    [(_, first)] = recorded("support.ticket-first-response")
    assert set(first) == {"ticket_id", "priority", "responded_at", "minutes"}
    assert (first["ticket_id"], first["priority"], first["minutes"]) == (answered["id"], "high", 0)
    resolved = [payload for _, payload in recorded("support.ticket-resolved")]
    assert [p["ticket_id"] for p in resolved] == [answered["id"], answered["id"]]
    text = json.dumps([payload for topic in SUPPORT_TOPICS for _, payload in recorded(topic)])
    assert "sign in" not in text and "password" not in text and "on it" not in text  # never the text

    expected = {"supportFirstResponses": 1, "supportResolutions": 2, "supportOpenTickets": 1}
    eventually(lambda: today_counts(*expected), lambda found: found == expected)
    assert sum(redelivered(topic) for topic in SUPPORT_TOPICS) == 0  # every event delivered twice
    assert today_counts(*expected) == expected
    metrics, _ = figures_today()
    assert metrics == {"supportOpenTickets": 1, "supportFirstResponseMinutes": 0, "supportResolutionMinutes": 0}


def test_an_applications_status_changes_move_it_between_statuses_once_each(
    stack: RunningStack, auth: AuthEmulator
) -> None:
    admin = practice_admin(auth)
    requirements_source(stack, admin, ["Every clinician must hold a current, unrestricted New York license."])
    dr = therapist(stack, auth, admin, "dr.dashboard@example.com")
    in_a_year = (utcnow().date() + timedelta(days=400)).isoformat()
    add_document(stack, dr.account, "license", expiresOn=in_a_year)
    created = credentialing_api(stack, "POST", "applications", dr.account, {"payer": "northwind", "state": "US-NY"})
    assert created.status_code == 201, created.text
    path = f"applications/{created.json()['id']}"
    assert credentialing_api(stack, "POST", f"{path}/submit", dr.account).status_code == 201
    tomorrow = (utcnow().date() + timedelta(days=1)).isoformat()
    for change in ({"status": "in_review"}, {"status": "approved", "expiresOn": tomorrow}, {"followUpOn": tomorrow}):
        assert credentialing_api(stack, "PATCH", path, admin, change).status_code == 200
    assert reminders.expire_approvals(utcnow().date() + timedelta(days=2), utcnow()) == 1

    changes = [(p["from_status"], p["to_status"]) for _, p in recorded(STATUS_CHANGED)]
    assert changes == [  # the dates-only change announced nothing
        (None, "draft"),
        ("draft", "submitted"),
        ("submitted", "in_review"),
        ("in_review", "approved"),
        ("approved", "expired"),
    ]
    assert set(recorded(STATUS_CHANGED)[0][1]) == {"application_id", "from_status", "to_status", "at"}

    def by_status() -> dict[str, int]:
        return figures_today()[1]["credentialingApplicationsByStatus"]

    eventually(by_status, lambda found: found == {"expired": 1})
    assert redelivered(STATUS_CHANGED) == 0
    assert by_status() == {"expired": 1}
