"""Messaging over HTTP: what each side sees, moderation end to end (blurred, flagged with a Slack alert, blocked
by the model, the model timing out), idempotent sends, edits, deletes, reactions, read receipts, the audit, the
end of an assignment, support threads and erasure; rate limits on every kind of write (exact, on a pinned clock),
forged cursors, the safety team's alert cap and its follow-up job, and who may see whose presence."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from bloom.core.time import utcnow
from bloom.messaging import safety
from bloom.messaging.events import MessageFlagged
from bloom.messaging.models import SAFETY_ALERT_WINDOW, SafetyAlertWindow
from bloom.messaging.repository import MessagesRepository, SafetyAlertsRepository
from bloom.notifications.slack import SlackUnavailable
from bloom.platform.registry import job_topic_name
from bloom.platform.store.client import db
from bloom.platform.store.outbox import publish_message
from bloom.platform.topics import ScheduledRun
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.accounts import call
from tests.support.events import outcome
from tests.support.files import PDF_BYTES, api, settled, uploaded
from tests.support.practice import (
    P,
    Therapist,
    active_assignment,
    care_thread,
    patient,
    practice_admin,
    send,
    therapist,
    user_id,
)
from tests.support.wait import eventually

MODERATIONS = "/openai/v1/moderations"
ROUND_TRIPS = "X-Bloom-Firestore-Round-Trips"
CLEAN = {"results": [{"flagged": False, "categories": {"hate": False, "self-harm": False}}]}


@dataclass(frozen=True)
class Care:
    admin: AuthAccount
    dr: Therapist
    pat: AuthAccount
    assignment_id: str
    thread_id: str


@pytest.fixture
def care(stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer) -> Care:
    httpserver.expect_request(MODERATIONS, method="POST").respond_with_json(CLEAN)
    admin = practice_admin(auth)
    dr = therapist(stack, auth, admin, "dr.msg@example.com")
    pat = patient(auth, "pat.msg@example.com")
    assignment_id = active_assignment(stack, admin, dr, pat)
    thread_id = care_thread(stack, pat, assignment_id)
    assert care_thread(stack, dr.account, assignment_id) == thread_id  # one care thread per assignment
    return Care(admin, dr, pat, assignment_id, thread_id)


def messages(stack: RunningStack, account: AuthAccount, thread_id: str, query: str = "") -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = call(stack, "GET", f"{P}/threads/{thread_id}/messages{query}", account)["items"]
    return items


def audit(stack: RunningStack, admin: AuthAccount, thread_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = call(stack, "GET", f"{P}/audit?threadId={thread_id}", admin)["items"]
    return items


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def stored_text(thread_id: str, message_id: str) -> str | None:
    record = MessagesRepository().get_in(thread_id, message_id)
    return None if record is None else record.text


def test_clean_and_blurred_messages_as_each_side_sees_them(stack: RunningStack, care: Care) -> None:
    hello = send(stack, care.pat, care.thread_id, "Hello, thank you for seeing me")
    assert hello.status_code == 201, hello.text
    assert hello.json()["moderation"] == {"state": "clean", "reasons": []}
    text = "You can call me on 07700 900123 or write to sam@example.com"
    blurred = send(stack, care.pat, care.thread_id, text).json()
    assert blurred["moderation"] == {"state": "blurred", "reasons": ["contact_details"]}
    assert blurred["text"] == text  # the sender sees their own
    assert "07700" not in str(stored_text(care.thread_id, blurred["id"]))  # what listeners receive

    theirs = messages(stack, care.dr.account, care.thread_id)
    assert [m["text"] for m in theirs] == [
        "You can call me on [contact details hidden] or write to [contact details hidden]",
        "Hello, thank you for seeing me",
    ]
    assert messages(stack, care.pat, care.thread_id)[0]["text"] == text
    threads = call(stack, "GET", f"{P}/threads", care.dr.account)["items"]
    assert [t["id"] for t in threads] == [care.thread_id]
    assert "07700" not in threads[0]["lastMessagePreview"]

    trail = audit(stack, care.admin, care.thread_id)
    sends = [r for r in trail if r["action"] == "send"]
    assert sorted(r["contentSha256After"] for r in sends) == sorted([sha(text), sha("Hello, thank you for seeing me")])
    decisions = [r["moderation"] for r in trail if r["action"] == "moderation"]
    assert {d["state"] for d in decisions} == {"clean", "blurred"} and {d["modelPass"] for d in decisions} == {"ok"}
    assert "text" not in json.dumps(trail).replace("contentSha256", "")  # no text field anywhere
    assert audit(stack, care.admin, care.thread_id)[0]["action"] == "audit_read"  # the read was audited


def test_crisis_language_is_flagged_never_blurred_and_the_safety_team_alerted(
    stack: RunningStack, care: Care, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/slack/safety", method="POST").respond_with_data("ok")
    text = "Some days I want to kill myself"
    flagged = send(stack, care.pat, care.thread_id, text).json()
    assert flagged["moderation"] == {"state": "flagged", "reasons": ["crisis"]}
    assert messages(stack, care.dr.account, care.thread_id)[0]["text"] == text

    def posts() -> list[str]:
        return [str(json.loads(req.data)["text"]) for req, _ in httpserver.log if req.path == "/slack/safety"]

    alert = eventually(posts, lambda found: len(found) == 1)[0]
    assert flagged["id"] in alert and care.thread_id in alert and "kill" not in alert
    sent = send(stack, care.pat, care.thread_id, "Just trying to kill time before the session").json()
    assert sent["moderation"]["state"] == "clean"


def test_the_model_pass_blocks_and_the_message_is_not_delivered(
    stack: RunningStack, care: Care, httpserver: HTTPServer
) -> None:
    httpserver.clear()
    hate = {"results": [{"flagged": True, "categories": {"hate": True, "sexual": False}}]}
    httpserver.expect_request(MODERATIONS, method="POST").respond_with_json(hate)
    blocked = send(stack, care.dr.account, care.thread_id, "a hateful message").json()
    assert blocked["moderation"] == {"state": "blocked", "reasons": ["model:hate"]}
    assert messages(stack, care.pat, care.thread_id) == []
    assert stored_text(care.thread_id, blocked["id"]) is None
    request, _ = httpserver.log[-1]
    assert request.headers["Authorization"] == "Bearer test-openai-key"
    assert json.loads(request.data)["input"] == "a hateful message"
    trail = audit(stack, care.admin, care.thread_id)
    assert [r["moderation"] for r in trail if r["action"] == "moderation"] == [
        {"state": "blocked", "reasons": ["model:hate"], "modelPass": "ok"}
    ]


def test_a_model_that_times_out_leaves_the_deterministic_verdict(
    stack: RunningStack, care: Care, httpserver: HTTPServer
) -> None:
    httpserver.clear()

    def slow(_: Request) -> Response:
        time.sleep(2.6)
        return Response(json.dumps(CLEAN), content_type="application/json")

    httpserver.expect_request(MODERATIONS, method="POST").respond_with_handler(slow)
    sent = send(stack, care.pat, care.thread_id, "mail me at sam@example.com").json()
    assert sent["moderation"] == {"state": "blurred", "reasons": ["contact_details"]}
    decisions = [r["moderation"] for r in audit(stack, care.admin, care.thread_id) if r["action"] == "moderation"]
    assert decisions == [{"state": "blurred", "reasons": ["contact_details"], "modelPass": "failed"}]


def test_a_retry_and_concurrent_duplicates_give_one_message(stack: RunningStack, care: Care) -> None:
    first = send(stack, care.pat, care.thread_id, "Are we still on for Tuesday?", "client-0001").json()
    retry = send(stack, care.pat, care.thread_id, "Are we still on for Tuesday?", "client-0001").json()
    assert retry == first
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: send(stack, care.pat, care.thread_id, "Tuesday?", "client-0002"), range(8)))
    assert {a.status_code for a in answers} <= {201, 503}
    ids = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(ids) == 1
    assert len(messages(stack, care.dr.account, care.thread_id)) == 2
    sends = [r for r in audit(stack, care.admin, care.thread_id) if r["action"] == "send"]
    assert len(sends) == 2


def test_edit_delete_reactions_and_read_receipts(stack: RunningStack, care: Care) -> None:
    sent = send(stack, care.pat, care.thread_id, "See you at 10").json()
    path = f"{stack.api}/v1/{P}/threads/{care.thread_id}/messages/{sent['id']}"
    edited = requests.patch(
        path, json={"text": "See you at 11, ring 07700 900123"}, headers=care.pat.headers, timeout=30
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["editedAt"] is not None and edited.json()["moderation"]["state"] == "blurred"
    other = requests.patch(path, json={"text": "mine now"}, headers=care.dr.headers, timeout=30)
    assert (other.status_code, other.json()["message"]) == (404, "MESSAGE NOT FOUND")

    db().collection("threads").document(care.thread_id).collection("messages").document(sent["id"]).update(
        {"createdAt": utcnow() - timedelta(minutes=16)}
    )
    late = requests.patch(path, json={"text": "too late"}, headers=care.pat.headers, timeout=30)
    assert (late.status_code, late.json()["message"]) == (409, "EDIT_WINDOW_CLOSED")

    heart = requests.put(f"{path}/reactions/%E2%9D%A4%EF%B8%8F", headers=care.dr.headers, timeout=30)
    assert heart.status_code == 200 and heart.json()["reactions"] == {"❤️": [care.dr.user_id]}
    again = requests.put(f"{path}/reactions/%E2%9D%A4%EF%B8%8F", headers=care.dr.headers, timeout=30)
    assert again.json()["reactions"] == {"❤️": [care.dr.user_id]}
    word = requests.put(f"{path}/reactions/like", headers=care.dr.headers, timeout=30)
    assert (word.status_code, word.json()["message"]) == (400, "INVALID_EMOJI")
    removed = requests.delete(f"{path}/reactions/%E2%9D%A4%EF%B8%8F", headers=care.dr.headers, timeout=30)
    assert removed.json()["reactions"] == {}

    read = call(stack, "POST", f"{P}/threads/{care.thread_id}/read", care.dr.account, json={"messageId": sent["id"]})
    assert read["readBy"] == {care.dr.user_id: sent["id"]}

    not_theirs = requests.delete(path, headers=care.dr.headers, timeout=30)
    assert not_theirs.status_code == 404
    deleted = requests.delete(path, headers=care.pat.headers, timeout=30).json()
    assert (deleted["text"], deleted["attachments"]) == ("", []) and deleted["deletedAt"] is not None
    assert messages(stack, care.dr.account, care.thread_id)[0]["text"] == ""

    actions = [r["action"] for r in audit(stack, care.admin, care.thread_id)]
    for action in ("send", "edit", "delete", "reaction_add", "reaction_remove", "moderation"):
        assert action in actions
    deletion = next(r for r in audit(stack, care.admin, care.thread_id) if r["action"] == "delete")
    assert deletion["contentSha256Before"] == sha("See you at 11, ring 07700 900123")


def test_an_upload_that_is_not_the_senders_available_one_cannot_be_attached(stack: RunningStack, care: Care) -> None:
    body = {"text": "see attached", "clientMessageId": uuid.uuid4().hex, "attachmentIds": ["upload-1"]}
    url = f"{stack.api}/v1/{P}/threads/{care.thread_id}/messages"
    refused = requests.post(url, json=body, headers=care.pat.headers, timeout=30)
    assert (refused.status_code, refused.json()["message"]) == (409, "ATTACHMENT_NOT_AVAILABLE")


def test_an_attached_upload_is_shared_with_the_thread_and_nobody_else(
    stack: RunningStack, auth: AuthEmulator, care: Care
) -> None:
    upload_id = uploaded(stack, care.pat, PDF_BYTES, "application/pdf")
    assert settled(stack, care.pat, upload_id) == "available"
    assert api(stack, "GET", f"uploads/{upload_id}/url", care.dr.account).status_code == 404  # not shared yet
    body = {"text": "my letter", "clientMessageId": uuid.uuid4().hex, "attachmentIds": [upload_id]}
    url = f"{stack.api}/v1/{P}/threads/{care.thread_id}/messages"
    sent = requests.post(url, json=body, headers=care.pat.headers, timeout=30)
    assert sent.status_code == 201, sent.text
    assert [a["uploadId"] for a in sent.json()["attachments"]] == [upload_id]
    [seen] = messages(stack, care.dr.account, care.thread_id)
    assert seen["attachments"][0]["contentType"] == "application/pdf"
    assert api(stack, "GET", f"uploads/{upload_id}/url", care.dr.account).status_code == 200
    outsider = patient(auth, "outsider.msg@example.com")
    assert api(stack, "GET", f"uploads/{upload_id}/url", outsider).status_code == 404


def test_ending_the_assignment_makes_the_care_thread_read_only(stack: RunningStack, care: Care) -> None:
    send(stack, care.pat, care.thread_id, "Thank you for everything")
    call(stack, "POST", f"{P}/assignments/{care.assignment_id}/end", care.dr.account)
    refused = send(stack, care.pat, care.thread_id, "One more thing")
    assert (refused.status_code, refused.json()["message"]) == (409, "THREAD_READ_ONLY")
    thread = call(stack, "GET", f"{P}/threads", care.pat)["items"][0]
    assert thread["readOnly"] is True
    assert len(messages(stack, care.pat, care.thread_id)) == 1  # the history stays readable


def test_support_threads_are_answered_by_any_practice_admin(
    stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(MODERATIONS, method="POST").respond_with_json(CLEAN)
    admin = practice_admin(auth)
    someone = patient(auth, "someone@example.com")
    thread = call(stack, "POST", f"{P}/threads", someone, json={"kind": "support"})
    assert call(stack, "POST", f"{P}/threads", someone, json={"kind": "support"})["id"] == thread["id"]
    send(stack, someone, thread["id"], "I need help finding a therapist")
    queue = call(stack, "GET", f"{P}/threads?kind=support", admin)["items"]
    assert [t["id"] for t in queue] == [thread["id"]]
    not_staff = requests.get(f"{stack.api}/v1/{P}/threads?kind=support", headers=someone.headers, timeout=30)
    assert not_staff.status_code == 403
    answer = send(stack, admin, thread["id"], "Of course, let's find someone")
    assert answer.status_code == 201, answer.text
    listed = call(stack, "GET", f"{P}/threads", admin)["items"]
    assert [t["id"] for t in listed] == [thread["id"]]
    assert set(listed[0]["participantIds"]) == {user_id(someone), f"user-{admin.uid}"}


def test_threads_come_in_pages(stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer) -> None:
    httpserver.expect_request(MODERATIONS, method="POST").respond_with_json(CLEAN)
    admin = practice_admin(auth)
    dr = therapist(stack, auth, admin, "dr.pages@example.com")
    for index in range(5):
        pat = patient(auth, f"pat.{index}@example.com")
        thread_id = care_thread(stack, pat, active_assignment(stack, admin, dr, pat))
        send(stack, pat, thread_id, f"hello {index}")
    seen: list[str] = []
    cursor = None
    while True:
        page = call(stack, "GET", f"{P}/threads?limit=2" + (f"&cursor={cursor}" if cursor else ""), dr.account)
        seen += [t["lastMessagePreview"] for t in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == [f"hello {index}" for index in reversed(range(5))]


def test_erasure_keeps_the_other_sides_history(stack: RunningStack, care: Care, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/slack/deleted-users", method="POST").respond_with_data("ok")
    mine = send(stack, care.pat, care.thread_id, "my story, call 07700 900123").json()
    theirs = send(stack, care.dr.account, care.thread_id, "thank you for telling me").json()
    db().collection("presence").document(care.pat.uid).set({"state": "available", "lastSeen": utcnow()})
    typing = db().collection("threads").document(care.thread_id).collection("typing").document(care.pat.uid)
    typing.set({"until": utcnow()})
    assert requests.delete(f"{stack.api}/v1/user", headers=care.pat.headers, timeout=30).status_code == 200

    eventually(lambda: stored_text(care.thread_id, mine["id"]), lambda text: text == "")
    erased = MessagesRepository().get_in(care.thread_id, mine["id"])
    assert erased is not None and erased.sender_erased
    assert stored_text(care.thread_id, theirs["id"]) == "thank you for telling me"
    eventually(lambda: db().collection("presence").document(care.pat.uid).get().exists, lambda exists: not exists)
    assert not typing.get().exists
    assert not db().collection("messageOriginals").document(mine["id"]).get().exists
    trail = audit(stack, care.admin, care.thread_id)
    assert any(r["actorId"] == user_id(care.pat) and r["contentSha256After"] for r in trail)
    ended = eventually(
        lambda: call(stack, "GET", f"{P}/connections", care.dr.account), lambda found: found[0]["assignment"]["endedAt"]
    )
    assert ended[0]["assignment"]["status"] == "ended"
    assert call(stack, "GET", f"{P}/threads", care.dr.account)["items"][0]["readOnly"] is True


# ---------------------------------------------------------------- rate limits


# Every call of a rate-limit test falls in the window of this pinned instant, 55 s before the window ends.
PINNED = datetime(2030, 1, 1, 12, 0, 5, tzinfo=UTC)


def assert_throttled(stack: RunningStack, limit: int, attempt: Callable[[], requests.Response]) -> None:
    """Exactly `limit` calls in one window go through, and the next is refused until the window ends."""
    stack.pin_rate_limit_clock(PINNED)
    for _ in range(limit):
        accepted = attempt()
        assert accepted.ok, accepted.text
    refused = attempt()
    assert refused.status_code == 429, refused.text
    assert refused.json()["message"] == "ThrottlerException: Too Many Requests"
    assert refused.headers["Retry-After"] == "55"


def test_sending_is_rate_limited_per_user(stack: RunningStack, care: Care) -> None:
    assert_throttled(stack, 30, lambda: send(stack, care.pat, care.thread_id, "hello again"))
    assert send(stack, care.dr.account, care.thread_id, "the other side still writes").status_code == 201


def test_editing_is_rate_limited_per_user(stack: RunningStack, care: Care) -> None:
    sent = send(stack, care.pat, care.thread_id, "See you at 10").json()
    path = f"{stack.api}/v1/{P}/threads/{care.thread_id}/messages/{sent['id']}"
    edits = iter(range(100))
    assert_throttled(
        stack,
        20,
        lambda: requests.patch(path, json={"text": f"at {next(edits)}"}, headers=care.pat.headers, timeout=30),
    )


def test_reacting_is_rate_limited_per_user(stack: RunningStack, care: Care) -> None:
    sent = send(stack, care.pat, care.thread_id, "See you at 10").json()
    path = f"{stack.api}/v1/{P}/threads/{care.thread_id}/messages/{sent['id']}/reactions/%E2%9D%A4%EF%B8%8F"
    assert_throttled(stack, 60, lambda: requests.put(path, headers=care.dr.headers, timeout=30))
    assert_throttled(stack, 60, lambda: requests.delete(path, headers=care.dr.headers, timeout=30))


def test_opening_threads_is_rate_limited_per_user(stack: RunningStack, auth: AuthEmulator) -> None:
    someone = patient(auth, "opener@example.com")
    url = f"{stack.api}/v1/{P}/threads"
    assert_throttled(
        stack, 20, lambda: requests.post(url, json={"kind": "support"}, headers=someone.headers, timeout=30)
    )


# ---------------------------------------------------------------- cursors


FORGED_CURSORS = [
    "../../users/x",
    base64.urlsafe_b64encode(b"../../users/x").decode(),
    base64.urlsafe_b64encode(b'{"at": "2026-01-01T00:00:00+00:00", "id": "../../users/x"}').decode(),
    base64.urlsafe_b64encode(b'{"id": "../../users/x"}').decode(),
    "garbage!!",
    base64.urlsafe_b64encode(b'{"page": 2}').decode(),
    base64.urlsafe_b64encode(b"[1, 2, 3]").decode(),
    "A" * 5000,
]


def test_a_forged_cursor_is_a_400_on_every_paged_endpoint(stack: RunningStack, care: Care) -> None:
    pages = [
        (f"{P}/threads", "cursor", care.pat),
        (f"{P}/threads?kind=support", "cursor", care.admin),
        (f"{P}/threads/{care.thread_id}/messages", "before", care.pat),
        (f"{P}/audit?threadId={care.thread_id}", "before", care.admin),
        (f"{P}/therapists", "cursor", care.pat),
    ]
    for path, name, account in pages:
        for forged in FORGED_CURSORS:
            joiner = "&" if "?" in path else "?"
            url = f"{stack.api}/v1/{path}{joiner}{urlencode({name: forged})}"
            response = requests.get(url, headers=account.headers, timeout=30)
            assert (response.status_code, response.json()["message"]) == (400, "INVALID_CURSOR"), (path, forged)


def test_messages_and_the_audit_come_in_pages(stack: RunningStack, care: Care) -> None:
    texts = [f"note {index}" for index in range(5)]
    for text in texts:
        send(stack, care.pat, care.thread_id, text)
    seen: list[str] = []
    before = ""
    while True:
        page = call(stack, "GET", f"{P}/threads/{care.thread_id}/messages?limit=2{before}", care.dr.account)
        seen += [m["text"] for m in page["items"]]
        if page["nextCursor"] is None:
            break
        before = f"&before={page['nextCursor']}"
    assert seen == list(reversed(texts))
    first = call(stack, "GET", f"{P}/audit?threadId={care.thread_id}&limit=3", care.admin)
    rest = call(stack, "GET", f"{P}/audit?threadId={care.thread_id}&before={first['nextCursor']}", care.admin)
    assert len({r["id"] for r in first["items"] + rest["items"]}) == len(first["items"]) + len(rest["items"])


# ---------------------------------------------------------------- the safety team's alert cap


def safety_posts(httpserver: HTTPServer, thread_id: str) -> list[str]:
    return [
        str(json.loads(request.data)["text"])
        for request, _ in list(httpserver.log)
        if request.path == "/slack/safety" and thread_id in request.get_data(as_text=True)
    ]


FOLLOW_UP_JOB = "send_safety_follow_ups"


def run_follow_up_job(at: datetime) -> None:
    """Fire the follow-up job the way the scheduler does, for a run scheduled at `at` (the job's clock: no waiting
    for a window to close), and wait until it has run."""
    event_id = str(uuid.uuid4())
    run = ScheduledRun(job=FOLLOW_UP_JOB, scheduled_at=at.isoformat())
    publish_message(job_topic_name(FOLLOW_UP_JOB), run.model_dump_json().encode(), {"event_id": event_id})
    eventually(lambda: outcome(FOLLOW_UP_JOB, event_id), lambda status: status == "done")


def flagged_burst(stack: RunningStack, care: Care, httpserver: HTTPServer, size: int) -> SafetyAlertWindow:
    """`size` flagged messages in the care thread: one alert at once, the rest held back in its window."""
    httpserver.expect_request("/slack/safety", method="POST").respond_with_data("ok")
    burst = [send(stack, care.pat, care.thread_id, f"I want to kill myself ({index})").json() for index in range(size)]
    assert {m["moderation"]["state"] for m in burst} == {"flagged"}
    window = eventually(
        lambda: SafetyAlertsRepository().get(care.thread_id),
        lambda w: w is not None and w.alert_sent and len(w.held_back_ids) == size - 1,
    )
    assert window is not None
    [alert] = safety_posts(httpserver, care.thread_id)
    assert window.alert_message_id in alert and "kill" not in alert and "more flagged" not in alert
    return window


def test_a_burst_of_flagged_messages_makes_one_alert_and_one_follow_up_with_the_count(
    stack: RunningStack, care: Care, httpserver: HTTPServer
) -> None:
    window = flagged_burst(stack, care, httpserver, 5)
    run_follow_up_job(utcnow())  # the window is still open
    assert len(safety_posts(httpserver, care.thread_id)) == 1

    run_follow_up_job(window.closes_at())
    [_, follow_up] = safety_posts(httpserver, care.thread_id)
    assert "4 more flagged messages" in follow_up and window.alert_message_id in follow_up
    assert "kill" not in follow_up and not any(held in follow_up for held in window.held_back_ids)
    for again in (window.closes_at(), window.closes_at() + timedelta(days=1)):
        run_follow_up_job(again)
    assert len(safety_posts(httpserver, care.thread_id)) == 2

    reported = SafetyAlertsRepository().get(care.thread_id)
    assert reported is not None and (reported.reported_held_back, reported.follow_up_due_at) == (4, None)
    over = reported.model_copy(update={"opened_at": reported.opened_at - SAFETY_ALERT_WINDOW})  # the window is over
    SafetyAlertsRepository().save(care.thread_id, over)
    later = send(stack, care.pat, care.thread_id, "I still want to die").json()
    posts = eventually(lambda: safety_posts(httpserver, care.thread_id), lambda found: len(found) == 3)
    assert later["id"] in posts[2] and "more flagged" not in posts[2]  # the held-back count went out once


def test_a_flag_after_the_window_and_before_the_follow_up_carries_the_count_instead(
    stack: RunningStack, care: Care, httpserver: HTTPServer
) -> None:
    window = flagged_burst(stack, care, httpserver, 5)
    closed = window.model_copy(update={"opened_at": window.opened_at - SAFETY_ALERT_WINDOW})  # the window is over
    SafetyAlertsRepository().save(care.thread_id, closed)
    later = send(stack, care.pat, care.thread_id, "I still want to die").json()
    posts = eventually(lambda: safety_posts(httpserver, care.thread_id), lambda found: len(found) == 2)
    assert later["id"] in posts[1] and "4 more flagged messages" in posts[1] and "die" not in posts[1]
    run_follow_up_job(utcnow() + timedelta(days=1))
    assert len(safety_posts(httpserver, care.thread_id)) == 2


def test_a_redelivered_flag_is_neither_counted_nor_announced_twice(
    stack: RunningStack, care: Care, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/slack/safety", method="POST").respond_with_data("ok")
    thread_id = f"care-redelivery-{uuid.uuid4().hex[:8]}"
    first = MessageFlagged(thread_id=thread_id, message_id="m1", reasons=["crisis"], flagged_at=utcnow().isoformat())
    second = first.model_copy(update={"message_id": "m2"})
    assert safety.alert_safety_team(first) is True
    for redelivered in (first, second, second, first):
        assert safety.alert_safety_team(redelivered) is False
    assert len(safety_posts(httpserver, thread_id)) == 1
    window = SafetyAlertsRepository().get(thread_id)
    assert window is not None and window.held_back_ids == ["m2"]


def test_an_alert_slack_did_not_take_is_sent_on_redelivery(stack: RunningStack, httpserver: HTTPServer) -> None:
    thread_id = f"care-slack-down-{uuid.uuid4().hex[:8]}"
    flagged = MessageFlagged(thread_id=thread_id, message_id="m1", reasons=["crisis"], flagged_at=utcnow().isoformat())
    httpserver.expect_oneshot_request("/slack/safety", method="POST").respond_with_data("down", status=503)
    with pytest.raises(SlackUnavailable):
        safety.alert_safety_team(flagged)
    httpserver.expect_request("/slack/safety", method="POST").respond_with_data("ok")
    assert safety.alert_safety_team(flagged) is True
    assert safety.alert_safety_team(flagged) is False
    assert len(safety_posts(httpserver, thread_id)) == 2  # the refused post and the one Slack took


# ---------------------------------------------------------------- presence


def presence_status(stack: RunningStack, reader: AuthAccount, owner: AuthAccount) -> int:
    url = f"{stack.firestore}/v1/projects/{stack.project}/databases/(default)/documents/presence/{owner.uid}"
    return requests.get(url, headers=reader.headers, timeout=10).status_code


def test_people_who_share_a_thread_see_each_others_presence_and_nobody_else(
    stack: RunningStack, auth: AuthEmulator, care: Care, httpserver: HTTPServer
) -> None:
    for account in (care.pat, care.dr.account, care.admin):
        db().collection("presence").document(account.uid).set({"state": "available", "lastSeen": utcnow()})
    assert presence_status(stack, care.dr.account, care.pat) == 200  # the care thread opened
    assert presence_status(stack, care.pat, care.dr.account) == 200
    assert presence_status(stack, care.admin, care.pat) == 403  # an admin shares no thread with them yet
    support = call(stack, "POST", f"{P}/threads", care.pat, json={"kind": "support"})
    assert presence_status(stack, care.admin, care.pat) == 403
    assert send(stack, care.admin, support["id"], "Hello, how can we help?").status_code == 201  # joins it
    assert presence_status(stack, care.admin, care.pat) == 200
    assert presence_status(stack, care.pat, care.admin) == 200
    stranger = patient(auth, "stranger.presence@example.com")
    assert presence_status(stack, stranger, care.pat) == 403

    db().collection("presenceViewers").document(care.pat.uid).delete()  # as for a thread opened before sharing
    assert presence_status(stack, care.dr.account, care.pat) == 403
    assert care_thread(stack, care.dr.account, care.assignment_id) == care.thread_id  # asking for it again
    assert presence_status(stack, care.dr.account, care.pat) == 200

    httpserver.expect_request("/slack/deleted-users", method="POST").respond_with_data("ok")
    assert requests.delete(f"{stack.api}/v1/user", headers=care.pat.headers, timeout=30).status_code == 200
    viewers = db().collection("presenceViewers")
    eventually(lambda: viewers.document(care.pat.uid).get().exists, lambda exists: not exists)
    for partner in (care.dr.account, care.admin):
        stored = viewers.document(partner.uid).get().to_dict() or {}
        assert care.pat.uid not in stored.get("viewerUids", [])


def test_a_send_costs_the_same_round_trips_whatever_the_thread_holds(stack: RunningStack, care: Care) -> None:
    support = call(stack, "POST", f"{P}/threads", care.pat, json={"kind": "support"})["id"]
    send(stack, care.pat, support, "hello")  # an instance's first search-index write reads the search key once
    first = send(stack, care.pat, care.thread_id, "first")
    for index in range(5):
        send(stack, care.dr.account, care.thread_id, f"reply {index}")
    later = send(stack, care.pat, care.thread_id, "later")
    assert first.headers[ROUND_TRIPS] == later.headers[ROUND_TRIPS]
    # with the model pass on: 5, the per-user rate limit's counter overlapping the first read
    assert later.headers[ROUND_TRIPS] == "5"
