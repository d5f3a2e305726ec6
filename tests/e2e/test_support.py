"""The support console end to end: ticket numbers and SLA due times, moderation, privacy (someone else's ticket is
404, internal comments never reach a requester), reply notices, the admin queue's filters and cursors, the breach
job on the scheduler's clock (one Slack alert per breach however often it fires), and erasure."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer

from bloom.support import service
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.files import PDF_BYTES, settled, uploaded
from tests.support.notices import fire_job, inbox
from tests.support.practice import patient, practice_admin, user_id
from tests.support.support_console import TICKETS, api, comment, open_ticket, queue
from tests.support.wait import eventually

MODERATIONS = "/openai/v1/moderations"
CLEAN = {"results": [{"flagged": False, "categories": {"hate": False, "self-harm": False}}]}
BREACH_JOB = "record_support_sla_breaches"
NEW = {"subject": "Help", "body": "Please help", "category": "other"}


@pytest.fixture
def people(auth: AuthEmulator, httpserver: HTTPServer) -> tuple[AuthAccount, AuthAccount, AuthAccount]:
    httpserver.expect_request(MODERATIONS, method="POST").respond_with_json(CLEAN)
    return practice_admin(auth), patient(auth, "pat.support@example.com"), patient(auth, "other.support@example.com")


def detail(stack: RunningStack, account: AuthAccount, ticket_id: str) -> dict[str, Any]:
    response = api(stack, "GET", f"{TICKETS}/{ticket_id}", account)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_tickets_are_numbered_without_gaps_with_due_times_by_priority(
    stack: RunningStack, people: tuple[AuthAccount, AuthAccount, AuthAccount]
) -> None:
    _, pat, other = people
    first = open_ticket(stack, pat)
    second = open_ticket(stack, other, priority="urgent", category="technical")
    assert (first["number"], second["number"]) == (1, 2)
    assert (first["status"], first["priority"], first["requesterId"]) == ("open", "normal", user_id(pat))
    assert at(first["firstResponseDueAt"]) - at(first["createdAt"]) == timedelta(days=1)
    assert at(first["resolutionDueAt"]) - at(first["createdAt"]) == timedelta(days=7)
    assert at(second["firstResponseDueAt"]) - at(second["createdAt"]) == timedelta(hours=1)
    assert at(second["resolutionDueAt"]) - at(second["createdAt"]) == timedelta(days=1)
    bad = api(stack, "POST", TICKETS, pat, json={"subject": "", "body": "x" * 10_001, "category": "nope"})
    assert bad.status_code == 400 and len(bad.json()["message"]) == 3


def test_tickets_opened_at_once_get_distinct_numbers_without_gaps(
    stack: RunningStack, people: tuple[AuthAccount, AuthAccount, AuthAccount]
) -> None:
    _, pat, other = people
    body = {"subject": "At once", "body": "Opened together", "category": "other"}

    def opened(index: int) -> int:
        """Open a ticket as the frontend does: a 503 (the counter's transaction never settled) is tried again."""
        while True:
            response = api(stack, "POST", TICKETS, (pat, other)[index % 2], json=body)
            if response.status_code != 503:
                assert response.status_code == 201, response.text
                return int(response.json()["number"])

    with ThreadPoolExecutor(max_workers=6) as pool:
        numbers = list(pool.map(opened, range(6)))
    assert sorted(numbers) == list(range(1, 7))


def test_someone_elses_ticket_is_not_found_and_internal_notes_never_reach_the_requester(
    stack: RunningStack, people: tuple[AuthAccount, AuthAccount, AuthAccount]
) -> None:
    admin, pat, other = people
    ticket = open_ticket(stack, pat)
    path = f"{TICKETS}/{ticket['id']}"
    assert api(stack, "GET", path, other).status_code == 404
    assert comment(stack, other, ticket["id"], "let me in") == 404
    assert api(stack, "GET", f"{TICKETS}/not-a-ticket", pat).status_code == 404
    assert comment(stack, pat, ticket["id"], "an internal note of my own", internal=True) == 403
    assert api(stack, "PATCH", path, pat, json={"status": "closed"}).status_code == 403

    assert comment(stack, admin, ticket["id"], "Looks like a locked account; check the audit", internal=True) == 201
    assert detail(stack, pat, ticket["id"])["firstRespondedAt"] is None  # an internal note is no response
    assert comment(stack, admin, ticket["id"], "We have unlocked your account, please try again") == 201
    assert comment(stack, pat, ticket["id"], "It works, thank you") == 201

    seen = detail(stack, pat, ticket["id"])
    assert [c["body"] for c in seen["comments"]] == [
        "We have unlocked your account, please try again",
        "It works, thank you",
    ]
    assert "locked account" not in json.dumps(seen)
    assert seen["firstRespondedAt"] is not None and not seen["breached"]
    assert [c["internal"] for c in detail(stack, admin, ticket["id"])["comments"]] == [True, False, False]
    assert queue(stack, other) == []

    notices = [n for n in inbox(pat.uid).values() if n.kind == "support_reply"]
    assert len(notices) == 1  # the reply, not the internal note
    assert notices[0].link == f"/support/tickets/{ticket['id']}" and "unlocked" not in notices[0].body


def test_attachments_are_the_requesters_and_readable_by_admins_alone(
    stack: RunningStack, people: tuple[AuthAccount, AuthAccount, AuthAccount]
) -> None:
    admin, pat, other = people
    upload_id = uploaded(stack, pat, PDF_BYTES, "application/pdf")
    assert settled(stack, pat, upload_id) == "available"
    theirs = uploaded(stack, other, PDF_BYTES, "application/pdf")
    refused = api(stack, "POST", TICKETS, pat, json={**NEW, "attachmentIds": [theirs]})
    assert (refused.status_code, refused.json()["message"]) == (409, "ATTACHMENT_NOT_AVAILABLE")

    ticket = open_ticket(stack, pat, attachmentIds=[upload_id])
    assert ticket["attachmentIds"] == [upload_id]
    link = f"{TICKETS}/{ticket['id']}/attachments/{upload_id}/url"
    for reader in (pat, admin):
        response = api(stack, "GET", link, reader)
        assert response.status_code == 200, response.text
        assert requests.get(response.json()["url"], timeout=10).content == PDF_BYTES
    assert api(stack, "GET", link, other).status_code == 404
    assert api(stack, "GET", f"{TICKETS}/{ticket['id']}/attachments/{theirs}/url", admin).status_code == 404


def test_ticket_text_is_moderated_like_messages(
    stack: RunningStack, people: tuple[AuthAccount, AuthAccount, AuthAccount], httpserver: HTTPServer
) -> None:
    _, pat, _ = people
    httpserver.expect_request("/slack/safety", method="POST").respond_with_data("ok")
    blurred = open_ticket(stack, pat, body="Call me on 07700 900123 please")
    assert blurred["body"] == "Call me on [contact details hidden] please"

    crisis = open_ticket(stack, pat, body="I want to kill myself and I cannot reach anyone", priority="low")
    assert crisis["priority"] == "urgent"  # crisis language: answered within the hour

    def safety_alerts() -> list[str]:
        return [r.get_data(as_text=True) for r, _ in httpserver.log if r.path == "/slack/safety"]

    alert = eventually(safety_alerts, lambda found: len(found) == 1)[0]
    assert crisis["id"] in alert and "kill" not in alert

    httpserver.clear()
    hate = {"results": [{"flagged": True, "categories": {"hate": True}}]}
    httpserver.expect_request(MODERATIONS, method="POST").respond_with_json(hate)
    blocked = api(stack, "POST", TICKETS, pat, json={"subject": "s", "body": "hateful words", "category": "other"})
    assert (blocked.status_code, blocked.json()["message"]) == (400, "TICKET_TEXT_BLOCKED")


def test_the_admin_queue_filters_and_pages(
    stack: RunningStack, people: tuple[AuthAccount, AuthAccount, AuthAccount]
) -> None:
    admin, pat, other = people
    admin_id = detail(stack, admin, open_ticket(stack, admin)["id"])["requesterId"]
    tickets = [open_ticket(stack, pat, priority=p) for p in ("low", "high", "high", "urgent")]
    mine = [open_ticket(stack, other)]
    newest_first = [t["id"] for t in reversed(tickets + mine)]
    assert queue(stack, pat) == [t["id"] for t in reversed(tickets)]

    def patch(ticket: dict[str, Any], **changes: Any) -> dict[str, Any]:
        response = api(stack, "PATCH", f"{TICKETS}/{ticket['id']}", admin, json=changes)
        assert response.status_code == 200, response.text
        changed: dict[str, Any] = response.json()
        return changed

    assigned = patch(tickets[1], assigneeId=admin_id, status="pending")
    assert (assigned["assigneeId"], assigned["status"]) == (admin_id, "pending")
    lowered = patch(tickets[2], priority="low")
    assert at(lowered["firstResponseDueAt"]) == at(tickets[2]["createdAt"]) + timedelta(days=2)
    refused = api(stack, "PATCH", f"{TICKETS}/{tickets[0]['id']}", admin, json={"assigneeId": user_id(pat)})
    assert (refused.status_code, refused.json()["message"]) == (400, "ASSIGNEE_NOT_A_PRACTICE_ADMIN")

    everything = queue(stack, admin)
    assert everything[:5] == newest_first and len(everything) == 6
    assert queue(stack, admin, "status=pending") == [tickets[1]["id"]]
    assert queue(stack, admin, "priority=high") == [tickets[1]["id"]]
    assert queue(stack, admin, f"assigneeId={admin_id}&status=pending&priority=high") == [tickets[1]["id"]]
    assert queue(stack, admin, "breached=true") == []
    assert queue(stack, pat, "status=pending") == [t["id"] for t in reversed(tickets)]  # filters are the queue's
    forged = api(stack, "GET", f"{TICKETS}?cursor=Li4vLi4vdXNlcnMveA", admin)
    assert (forged.status_code, forged.json()["message"]) == (400, "INVALID_CURSOR")


def test_the_breach_job_records_and_announces_each_breach_once(
    stack: RunningStack, people: tuple[AuthAccount, AuthAccount, AuthAccount], httpserver: HTTPServer
) -> None:
    admin, pat, _ = people
    httpserver.expect_request("/slack/support", method="POST").respond_with_data("ok")
    urgent = open_ticket(stack, pat, priority="urgent")
    normal = open_ticket(stack, pat)
    created = at(urgent["createdAt"])

    fire_job(BREACH_JOB, created + timedelta(minutes=59))
    assert not detail(stack, admin, urgent["id"])["breached"]
    for _ in range(3):  # the scheduler fires again and again: one alert per breach
        fire_job(BREACH_JOB, created + timedelta(hours=2))
    assert detail(stack, admin, urgent["id"])["breached"]
    assert not detail(stack, admin, normal["id"])["breached"]
    assert queue(stack, admin, "breached=true") == [urgent["id"]]

    def alerts() -> list[str]:
        return [r.get_data(as_text=True) for r, _ in httpserver.log if r.path == "/slack/support"]

    [alert] = eventually(alerts, lambda found: len(found) == 1)
    assert urgent["id"] in alert and "first response" in alert
    assert "password" not in alert and "sign in" not in alert  # ids only, never the ticket's text

    fire_job(BREACH_JOB, created + timedelta(days=2))  # the urgent resolution and the normal first response
    later = eventually(alerts, lambda found: len(found) == 3)
    assert any(urgent["id"] in text and "resolution" in text for text in later[1:])
    assert any(normal["id"] in text and "first response" in text for text in later[1:])
    fire_job(BREACH_JOB, created + timedelta(days=3))
    assert service.record_breaches(created + timedelta(days=30)) == 1  # the normal ticket's resolution, no more
    assert len(eventually(alerts, lambda found: len(found) == 4)) == 4


def test_a_late_reply_records_the_breach_the_job_has_not_seen(
    stack: RunningStack, people: tuple[AuthAccount, AuthAccount, AuthAccount], httpserver: HTTPServer
) -> None:
    admin, pat, _ = people
    httpserver.expect_request("/slack/support", method="POST").respond_with_data("ok")
    ticket = open_ticket(stack, pat, priority="urgent")
    service.record_breaches(at(ticket["createdAt"]) + timedelta(minutes=30))  # nothing due yet
    assert comment(stack, admin, ticket["id"], "Sorry for the wait") == 201
    assert not detail(stack, admin, ticket["id"])["breached"]  # answered in time


def test_erasure_deletes_the_requesters_tickets_and_their_comments(
    stack: RunningStack, people: tuple[AuthAccount, AuthAccount, AuthAccount]
) -> None:
    admin, pat, other = people
    gone = open_ticket(stack, pat)
    assert comment(stack, admin, gone["id"], "We are on it") == 201
    kept = open_ticket(stack, other)
    deleted = api(stack, "DELETE", "user", pat)
    assert deleted.status_code == 200, deleted.text
    eventually(lambda: api(stack, "GET", f"{TICKETS}/{gone['id']}", admin).status_code, lambda status: status == 404)
    assert detail(stack, admin, kept["id"])["number"] == kept["number"]
    assert gone["id"] not in queue(stack, admin)
