"""No email, name, password or token of a user reaches the stack's log, whatever the user does."""

from __future__ import annotations

import base64
import json
import uuid

import requests
from pytest_httpserver import HTTPServer

from bloom.core.logging import REDACTED
from infra.auth_emulator import AuthEmulator
from infra.manifest import load_everything
from infra.stack_runner import RunningStack
from tests.support.accounts import auth_emails, signed_up
from tests.support.crm_fakes import Providers
from tests.support.wait import eventually

USER_DELETED_SUBSCRIBERS = sorted(
    spec.name for spec in load_everything().values() if spec.topic is not None and spec.topic.name == "user.deleted"
)


def log_since(stack: RunningStack, offset: int) -> str:
    """What the stack logged after `offset` bytes."""
    assert stack.log_path is not None
    with stack.log_path.open("rb") as log:
        log.seek(offset)
        return log.read().decode("utf-8", errors="replace")


def test_signup_patch_and_delete_leave_no_personal_data_in_the_log(
    stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer, providers: Providers
) -> None:
    assert stack.log_path is not None
    httpserver.expect_request("/slack/deleted-users", method="POST").respond_with_data("ok")
    marker = uuid.uuid4().hex[:12]
    phone = f"+447400{int(marker, 16) % 10**6:06d}"
    email, new_email = f"logcheck-{marker}@example.com", f"moved-{marker}@example.org"
    name, new_name = f"Zebedee{marker}", f"Quintessa{marker}"
    password = f"Pass-{marker}-phrase"
    offset = stack.log_path.stat().st_size

    account = signed_up(stack, auth, email, name=name, password=password)
    refused = requests.post(
        f"{stack.api}/v1/user",
        json={"name": name, "email": email, "password": password, "contactPermission": True},
        timeout=10,
    )
    assert refused.json()["message"] == "CREATE_USER_ALREADY_EXISTS"
    bad = requests.patch(f"{stack.api}/v1/user", headers=account.headers, json={"email": f"{name}@"}, timeout=10)
    assert bad.status_code == 400
    patched = requests.patch(
        f"{stack.api}/v1/user", headers=account.headers, json={"name": new_name, "email": new_email}, timeout=10
    )
    assert patched.status_code == 200, patched.text
    user_id = patched.json()["id"]
    subscribed = requests.post(
        f"{stack.api}/v1/subscription-user/whatsapp",
        headers=account.headers,
        json={"subscriptionInfo": phone},
        timeout=10,
    )
    assert subscribed.status_code == 201, subscribed.text
    twice = requests.post(
        f"{stack.api}/v1/subscription-user/whatsapp", headers=account.headers, json={"subscriptionInfo": phone}
    )
    assert twice.status_code == 409
    unsubscribe = {"type": "unsubscribe", "data[email]": new_email, "data[list_id]": "test-audience"}
    mailchimp = requests.post(
        f"{stack.api}/webhooks/mailchimp", params={"secret": "test-mailchimp-webhook-secret"}, data=unsubscribe
    )
    assert mailchimp.json() == {"applied": True}
    eventually(
        lambda: providers.member(new_email), lambda member: member is not None and member["status"] == "unsubscribed"
    )
    deleted = requests.delete(f"{stack.api}/v1/user", headers=account.headers, timeout=10)
    assert deleted.status_code == 200
    assert auth_emails(stack) == []

    def handled_by_every_subscriber(log: str) -> bool:
        handled = [line for line in log.splitlines() if '"topic": "user.deleted"' in line and "event handled" in line]
        return all(any(f'"function": "{name}"' in line for line in handled) for name in USER_DELETED_SUBSCRIBERS)

    # The log is written as things happen; wait until every subscriber handled the deletion, so its lines are in.
    text = eventually(lambda: log_since(stack, offset), handled_by_every_subscriber)
    assert f'"userId": "{user_id}"' in text
    assert "POST /api/v1/user 201" in text  # the requests were logged: the check below is not vacuous
    assert providers.respond_io == {}  # the contact went with the user
    slack = [request.get_data(as_text=True) for request, _ in httpserver.log]
    for secret in (email, new_email, name, new_name, password, account.token, marker, phone, phone[1:]):
        assert secret not in text, f"{secret[:20]}… appears in the stack log"
        assert not any(secret in body for body in slack), f"{secret[:20]}… was sent to Slack"


def test_personal_data_in_request_paths_and_request_ids_is_not_logged(stack: RunningStack) -> None:
    assert stack.log_path is not None
    marker = uuid.uuid4().hex[:12]
    email = f"jöhn.{marker}@exämple.org"
    jwt_fragment = base64.urlsafe_b64encode(json.dumps({"sub": marker}).encode()).decode().rstrip("=")
    phone = "07700900123"
    offset = stack.log_path.stat().st_size

    resource = f"{stack.api}/v1/resource"
    for path, request_id in (
        (f"{resource}/{email}", email),  # X-Request-ID refuses it; the path segment is logged redacted
        (f"{resource}/{jwt_fragment}", jwt_fragment),
        (f"{resource}/eyJhbGciOiJub25lIn0.{jwt_fragment}", f"eyJhbGciOiJub25lIn0.{jwt_fragment}"),
        (f"{resource}/tel{phone}", f"req-x{phone}"),
        (f"{resource}/+44{phone[1:]}abc", f"+44{phone[1:]}abc"),
    ):
        response = requests.get(path, headers={"X-Request-ID": request_id.encode()}, timeout=10)
        assert response.status_code == 404, response.text
    searched = requests.get(f"{stack.api}/v1/user", params={"searchCriteria": json.dumps({"email": email})}, timeout=10)
    assert searched.status_code == 401

    text = eventually(lambda: log_since(stack, offset), lambda log: log.count("GET /api/v1/") >= 6)
    # The requests were logged (the checks below are not vacuous), with the ids they supplied redacted.
    assert text.count(f"GET /api/v1/resource/{REDACTED} 404") == 3
    assert f"GET /api/v1/resource/tel{REDACTED} 404" in text and f"GET /api/v1/resource/{REDACTED}abc 404" in text
    assert f'"request_id": "req-x{REDACTED}"' in text and f'"request_id": "{REDACTED}"' in text
    assert "GET /api/v1/user 401" in text
    for secret in (email, jwt_fragment, "eyJhbGciOiJub25lIn0", phone, phone[1:], marker):
        for written in (secret, json.dumps(secret)[1:-1]):  # as is, or with the \\u escapes of a JSON line
            assert written not in text, f"{written[:20]}… appears in the stack log"
