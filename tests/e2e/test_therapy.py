"""Therapy end to end: Simplybook's callback and the Zapier path with real tokens, through the gateway and the
local Pub/Sub, Simplybook as a local HTTP fake that checks what we send, and the user and admin endpoints."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.accounts import access_code, call, partner, partner_admin, signed_up, super_admin
from tests.support.events import WEBHOOKS, recorded_events, unsettled_events
from tests.support.therapy import FAKE, FUTURE, api_booking, serve_slack, zapier, zapier_body
from tests.support.wait import eventually

COMPANY = FAKE["SIMPLYBOOK_COMPANY"]
TOKEN = FAKE["SIMPLYBOOK_WEBHOOK_TOKEN"]
API_TOKEN = "simplybook-api-token"


class Therapy:
    """A partner with one therapy access of `sessions`, redeemed by a signed-up user."""

    def __init__(self, stack: RunningStack, auth: AuthEmulator, sessions: int = 6, email: str = "client@example.com"):
        admin = super_admin(auth)
        found = partner(stack, admin, "Therapy Partner", automatic_access=False)
        padmin = partner_admin(stack, auth, admin, found["id"], "padmin@example.com")
        code = access_code(stack, padmin, featureTherapy=True, therapySessionsRemaining=sessions)
        self.stack, self.admin, self.partner_id = stack, admin, found["id"]
        self.user = signed_up(stack, auth, email, partnerAccessCode=code)
        self.user_id: str = call(stack, "GET", "user/me", self.user)["user"]["id"]

    def counters(self, account: AuthAccount | None = None) -> tuple[int, int]:
        [access] = call(self.stack, "GET", "user/me", account or self.user)["partnerAccesses"]
        return access["therapySessionsRemaining"], access["therapySessionsRedeemed"]

    def counters_become(self, wanted: tuple[int, int]) -> None:
        eventually(self.counters, lambda got: got == wanted)

    def sessions(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = call(self.stack, "GET", "therapy-session", self.user)
        return result


def callback(stack: RunningStack, body: dict[str, Any], token: str | None = TOKEN) -> requests.Response:
    params = {"token": token} if token is not None else {}
    return requests.post(f"{stack.api}/webhooks/simplybook", params=params, json=body, timeout=30)


def notification(kind: str, booking_id: int = 501, **overrides: Any) -> dict[str, Any]:
    body = {"booking_id": booking_id, "booking_hash": "ab12cd", "company": COMPANY, "notification_type": kind}
    body["webhook_timestamp"] = int(time.time())
    return {**body, **overrides}


def slack_texts(httpserver: HTTPServer) -> list[str]:
    return [json.loads(r.get_data())["text"] for r, _ in httpserver.log if r.path == "/slack/therapy"]


def serve_simplybook(
    httpserver: HTTPServer, booking: dict[str, Any], *, two_factor: bool = False, failures: int = 0
) -> list[str]:
    """The admin API: sign-in (with a TOTP second factor when asked), the booking, cancel. Returns a log of calls."""
    calls: list[str] = []
    failing = [failures]

    def auth(request: Request) -> Response:
        sent = request.get_json()
        assert sent == {"company": COMPANY, "login": FAKE["SIMPLYBOOK_LOGIN"], "password": FAKE["SIMPLYBOOK_PASSWORD"]}
        calls.append("auth")
        answer = {"require2fa": True, "auth_session_id": "sess-1"} if two_factor else {"token": API_TOKEN}
        return Response(json.dumps(answer), content_type="application/json")

    def second_factor(request: Request) -> Response:
        sent = request.get_json()
        assert (sent["company"], sent["session_id"], sent["type"]) == (COMPANY, "sess-1", "ga")
        assert pyotp.TOTP(FAKE["SIMPLYBOOK_TOTP_SECRET"]).verify(sent["code"], valid_window=1)
        calls.append("2fa")
        return Response(json.dumps({"token": API_TOKEN}), content_type="application/json")

    def read(request: Request) -> Response:
        assert request.headers["X-Company-Login"] == COMPANY
        assert request.headers["X-Token"] == API_TOKEN
        if failing[0] > 0:
            failing[0] -= 1
            calls.append("503")
            return Response("down", status=503)
        calls.append(f"{request.method} {request.path.rsplit('/', 1)[-1]}")
        return Response(json.dumps(booking), content_type="application/json")

    httpserver.expect_request("/simplybook/admin/auth", method="POST").respond_with_handler(auth)
    httpserver.expect_request("/simplybook/admin/auth/2fa", method="POST").respond_with_handler(second_factor)
    httpserver.expect_request(re.compile(r"^/simplybook/admin/bookings/\d+$")).respond_with_handler(read)
    return calls


# ---------------------------------------------------------------- the Zapier path


def test_zapier_path_with_each_action(stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer) -> None:
    serve_slack(httpserver)
    therapy = Therapy(stack, auth)
    assert zapier(stack, zapier_body("NEW_BOOKING", therapy.user_id)).status_code == 202
    therapy.counters_become((5, 1))
    moved = FUTURE + timedelta(days=1)
    assert zapier(stack, zapier_body("UPDATED_BOOKING", therapy.user_id, start=moved)).status_code == 202
    [session] = eventually(therapy.sessions, lambda found: bool(found) and found[0]["rescheduledFrom"] is not None)
    assert session["action"] == "UPDATED_BOOKING"
    assert datetime.fromisoformat(session["startDateTime"]) == moved
    assert datetime.fromisoformat(session["rescheduledFrom"]) == FUTURE
    assert zapier(stack, zapier_body("CANCELLED_BOOKING", therapy.user_id)).status_code == 202
    therapy.counters_become((6, 0))
    assert zapier(stack, zapier_body("CANCELLED_BOOKING", therapy.user_id)).status_code == 202  # a repeat
    assert zapier(stack, zapier_body("NEW_BOOKING", therapy.user_id, code="zap2")).status_code == 202
    assert zapier(stack, zapier_body("COMPLETED_BOOKING", therapy.user_id, code="zap2")).status_code == 202
    found = eventually(therapy.sessions, lambda s: any(x["completedAt"] for x in s))
    assert {x["action"] for x in found} == {"CANCELLED_BOOKING", "COMPLETED_BOOKING"}
    assert therapy.counters() == (5, 1)
    texts = eventually(lambda: slack_texts(httpserver), lambda t: len(t) >= 4)
    assert all("client@example.com" not in text and "Sam" not in text for text in texts)
    assert any("Therapy booked" in text and "Therapy Partner" in text and "Dr Example" in text for text in texts)


def test_zapier_auth_failures_write_nothing(stack: RunningStack, auth: AuthEmulator) -> None:
    therapy = Therapy(stack, auth)
    body = zapier_body("NEW_BOOKING", therapy.user_id)
    for headers in ({}, {"Authorization": "Basic wrong"}, {"Authorization": f"Bearer {FAKE['ZAPIER_TOKEN']}"}):
        response = zapier(stack, body, headers)
        assert response.status_code == 401, response.text
    assert recorded_events(WEBHOOKS) == []  # refused before the outbox: no worker will change anything later
    assert therapy.sessions() == []
    assert therapy.counters() == (6, 0)


def test_no_eligible_access_and_unknown_user_are_recorded_and_announced(
    stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer
) -> None:
    serve_slack(httpserver)
    therapy = Therapy(stack, auth, sessions=0)
    assert zapier(stack, zapier_body("NEW_BOOKING", therapy.user_id)).status_code == 202
    assert zapier(stack, zapier_body("NEW_BOOKING", "nobody-we-know", code="zap9")).status_code == 202
    texts = eventually(lambda: slack_texts(httpserver), lambda t: len(t) >= 2)
    assert any("REJECTED" in text for text in texts) and any("UNMATCHED" in text for text in texts)
    assert therapy.counters() == (0, 0)
    sessions = call(stack, "GET", "therapy-session/admin", therapy.admin)
    assert sorted(s["outcome"] for s in sessions) == ["rejected", "unmatched"]


# ---------------------------------------------------------------- Simplybook's callback


def test_simplybook_callback_reads_the_booking_and_charges(
    stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer
) -> None:
    therapy = Therapy(stack, auth)
    calls = serve_simplybook(httpserver, api_booking(therapy.user_id))
    response = callback(stack, notification("create"))
    assert response.status_code == 202, response.text
    therapy.counters_become((5, 1))
    assert callback(stack, notification("create")).status_code == 202  # a repeat: read again, changes nothing
    eventually(lambda: calls.count("GET 501"), lambda n: n == 2)
    assert therapy.counters() == (5, 1)
    assert calls.count("auth") == 1  # the token is cached
    notify = callback(stack, notification("notify"))
    assert (notify.status_code, notify.json()) == (201, None)


def test_simplybook_callback_auth_failures(stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer) -> None:
    therapy = Therapy(stack, auth)
    calls = serve_simplybook(httpserver, api_booking(therapy.user_id))
    refusals = [
        (callback(stack, notification("create"), token=None), "Unauthorized: invalid webhook token"),
        (callback(stack, notification("create"), token="wrong"), "Unauthorized: invalid webhook token"),
        (callback(stack, notification("create", company="someone-else")), "Unauthorized: unknown company"),
        (
            callback(stack, notification("create", webhook_timestamp=int(time.time()) - 400)),
            "Unauthorized: webhook timestamp outside the accepted window",
        ),
    ]
    for response, message in refusals:
        assert (response.status_code, response.json()["message"]) == (401, message)
    assert recorded_events(WEBHOOKS) == []  # refused before the outbox: no worker will call Simplybook later
    assert calls == []
    assert therapy.counters() == (6, 0)


def test_simplybook_callback_refuses_bad_values_with_400_and_records_nothing(
    stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer
) -> None:
    """With a valid token, values that used to crash the receiver (500) or skip the replay window are refused."""
    therapy = Therapy(stack, auth)
    calls = serve_simplybook(httpserver, api_booking(therapy.user_id))
    good = notification("create")
    text = json.dumps(good)
    refused = {
        "a timestamp beyond any datetime": json.dumps({**good, "webhook_timestamp": 10**400}).encode(),
        "50,000 levels of nesting": (text[:-1] + ', "x": ' + "[" * 50_000 + "]" * 50_000 + "}").encode(),
        "an unpaired surrogate": text.replace(f'"{COMPANY}"', '"\\ud800"').encode(),
        "no timestamp": json.dumps({k: v for k, v in good.items() if k != "webhook_timestamp"}).encode(),
        "not JSON": b"{nope",
    }
    for case, raw in refused.items():
        response = requests.post(
            f"{stack.api}/webhooks/simplybook",
            params={"token": TOKEN},
            data=raw,
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        assert response.status_code == 400, (case, response.text)
    # Only the valid delivery that follows reaches Simplybook and the ledger.
    assert callback(stack, good).status_code == 202
    therapy.counters_become((5, 1))
    assert calls == ["auth", "GET 501"]
    assert len(call(stack, "GET", "therapy-session/admin", therapy.admin)) == 1


def test_simplybook_down_then_back(stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer) -> None:
    therapy = Therapy(stack, auth)
    calls = serve_simplybook(httpserver, api_booking(therapy.user_id), failures=4)
    assert callback(stack, notification("create")).status_code == 202
    therapy.counters_become((5, 1))
    assert calls.count("503") == 4


def test_two_factor_sign_in(stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer) -> None:
    therapy = Therapy(stack, auth)
    calls = serve_simplybook(httpserver, api_booking(therapy.user_id), two_factor=True)
    assert callback(stack, notification("create")).status_code == 202
    therapy.counters_become((5, 1))
    assert calls[:2] == ["auth", "2fa"]


# ---------------------------------------------------------------- the user's cancel


def test_user_cancel_then_the_webhook_refunds_once(
    stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer
) -> None:
    therapy = Therapy(stack, auth)
    calls = serve_simplybook(httpserver, api_booking(therapy.user_id))
    assert callback(stack, notification("create")).status_code == 202
    therapy.counters_become((5, 1))
    [session] = therapy.sessions()
    other = signed_up(stack, auth, "other@example.com")
    url = f"{stack.api}/v1/therapy-session/{session['id']}/cancel"
    assert requests.patch(url, headers=other.headers, timeout=30).status_code == 404
    cancelled = requests.patch(url, headers=therapy.user.headers, timeout=30)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["cancelledAt"] is not None
    assert "DELETE 501" in calls
    assert therapy.counters() == (6, 0)
    again = requests.patch(url, headers=therapy.user.headers, timeout=30)
    assert (again.status_code, again.json()["message"]) == (409, "THERAPY_SESSION_ALREADY_CANCELLED")
    assert callback(stack, notification("cancel")).status_code == 202  # Simplybook tells us of our own cancel
    eventually(lambda: calls.count("GET 501"), lambda n: n == 2)
    eventually(lambda: unsettled_events(WEBHOOKS), lambda left: not left)  # the worker has finished the delivery
    assert therapy.counters() == (6, 0)


def test_a_session_that_started_cannot_be_cancelled(
    stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer
) -> None:
    therapy = Therapy(stack, auth)
    started = datetime.now(UTC) - timedelta(minutes=5)
    assert zapier(stack, zapier_body("NEW_BOOKING", therapy.user_id, start=started)).status_code == 202
    [session] = eventually(therapy.sessions, lambda s: len(s) == 1)
    response = requests.patch(
        f"{stack.api}/v1/therapy-session/{session['id']}/cancel", headers=therapy.user.headers, timeout=30
    )
    assert (response.status_code, response.json()["message"]) == (400, "THERAPY_SESSION_IN_THE_PAST")


def test_erasure_unlinks_sessions_and_keeps_the_charge(stack: RunningStack, auth: AuthEmulator) -> None:
    therapy = Therapy(stack, auth)
    assert zapier(stack, zapier_body("NEW_BOOKING", therapy.user_id)).status_code == 202
    therapy.counters_become((5, 1))
    assert requests.delete(f"{stack.api}/v1/user", headers=therapy.user.headers, timeout=30).status_code == 200

    def sessions() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = call(
            stack, "GET", f"therapy-session/admin?partnerId={therapy.partner_id}", therapy.admin
        )
        return found

    [session] = eventually(sessions, lambda s: len(s) == 1 and s[0]["userId"] is None)
    assert session["clientTimezone"] is None
    assert session["partnerAccess"]["therapySessionsRedeemed"] == 1
