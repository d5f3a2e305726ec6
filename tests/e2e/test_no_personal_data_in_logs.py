"""No email, name, password or token of a user reaches the stack's log, whatever the user does."""

from __future__ import annotations

import uuid

import requests
from pytest_httpserver import HTTPServer

from infra.auth_emulator import AuthEmulator
from infra.manifest import load_everything
from infra.stack_runner import RunningStack
from tests.support.accounts import auth_emails, signed_up
from tests.support.wait import eventually

USER_DELETED_SUBSCRIBERS = sorted(
    spec.name for spec in load_everything().values() if spec.topic is not None and spec.topic.name == "user.deleted"
)


def test_signup_patch_and_delete_leave_no_personal_data_in_the_log(
    stack: RunningStack, auth: AuthEmulator, httpserver: HTTPServer
) -> None:
    assert stack.log_path is not None
    httpserver.expect_request("/slack/deleted-users", method="POST").respond_with_data("ok")
    marker = uuid.uuid4().hex[:12]
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
    deleted = requests.delete(f"{stack.api}/v1/user", headers=account.headers, timeout=10)
    assert deleted.status_code == 200
    assert auth_emails(stack) == []

    def new_log() -> str:
        assert stack.log_path is not None
        with stack.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", errors="replace")

    def handled_by_every_subscriber(log: str) -> bool:
        handled = [line for line in log.splitlines() if '"topic": "user.deleted"' in line and "event handled" in line]
        return all(any(f'"function": "{name}"' in line for line in handled) for name in USER_DELETED_SUBSCRIBERS)

    # The log is written as things happen; wait until every subscriber handled the deletion, so its lines are in.
    text = eventually(new_log, handled_by_every_subscriber)
    assert f'"userId": "{user_id}"' in text
    assert "POST /api/v1/user 201" in text  # the requests were logged: the check below is not vacuous
    slack = [request.get_data(as_text=True) for request, _ in httpserver.log]
    for secret in (email, new_email, name, new_name, password, account.token, marker):
        assert secret not in text, f"{secret[:20]}… appears in the stack log"
        assert not any(secret in body for body in slack), f"{secret[:20]}… was sent to Slack"
