"""Webhook verification schemes, the Storyblok receiver up to its handler, and what a declaration registers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import subprocess
import sys
import time
from typing import Any

import flask
import pytest
from pydantic import BaseModel

from bloom.core.errors import Unauthorized
from bloom.platform.registry import registered
from bloom.platform.webhook_verification import HmacSignature, SharedToken
from bloom.platform.webhooks import webhook_function
from functions.webhooks import STORYBLOK_SIGNATURE
from infra.stack_runner import ROOT
from tests.support.settings import SettingsEnv

BODY = b'{"id": "b-1", "action": "created"}'
STRIPE_LIKE = HmacSignature(header="X-Signature", credential="ZZ_SIGNING_KEY", timestamp_header="X-Timestamp")


def refusal(verify: HmacSignature | SharedToken, body: bytes, headers: dict[str, str]) -> str | None:
    """The 401 message, or None when the delivery is accepted."""
    try:
        verify.verify(body, {name.lower(): value for name, value in headers.items()})
    except Unauthorized as exc:
        assert isinstance(exc.message, str)
        return exc.message
    return None


def test_hmac_encodings_and_algorithms(settings_env: SettingsEnv) -> None:
    settings_env.set("ZZ_SIGNING_KEY", "key")
    digest = hmac.new(b"key", BODY, hashlib.sha256).digest()
    base64_scheme = HmacSignature(header="X-Sig", credential="ZZ_SIGNING_KEY", encoding="base64")
    assert refusal(base64_scheme, BODY, {"X-Sig": base64.b64encode(digest).decode()}) is None
    assert refusal(base64_scheme, BODY, {"X-Sig": base64.b64encode(digest).decode().lower()}) == (
        "WEBHOOK_SIGNATURE_MISMATCH"
    )
    hex_scheme = HmacSignature(header="X-Sig", credential="ZZ_SIGNING_KEY")
    assert refusal(hex_scheme, BODY, {"X-Sig": digest.hex().upper()}) is None
    assert refusal(hex_scheme, BODY, {"X-Sig": ""}) == "WEBHOOK_SIGNATURE_MISSING"


def test_a_signed_timestamp_must_be_recent(settings_env: SettingsEnv) -> None:
    settings_env.set("ZZ_SIGNING_KEY", "key")
    now = int(time.time())

    def headers(timestamp: int | str, signed_as: int | str | None = None) -> dict[str, str]:
        signature = STRIPE_LIKE.sign("key", BODY, str(timestamp if signed_as is None else signed_as))
        return {"X-Signature": signature, "X-Timestamp": str(timestamp)}

    assert STRIPE_LIKE.sign("key", BODY, "12") == hmac.new(b"key", b"12." + BODY, hashlib.sha256).hexdigest()
    assert refusal(STRIPE_LIKE, BODY, headers(now)) is None
    assert refusal(STRIPE_LIKE, BODY, headers(now - 290)) is None
    # a number too big for a float or for Python's int parsing is outside the window too (it was a 500)
    for stale in (now - 301, now + 301, "yesterday", "9" * 400, "9" * 5000, f"-{now}", "\u0661\u0662"):
        assert refusal(STRIPE_LIKE, BODY, headers(stale)) == "WEBHOOK_SIGNATURE_MISMATCH"
    assert refusal(STRIPE_LIKE, BODY, headers(now, signed_as=now - 1000)) == "WEBHOOK_SIGNATURE_MISMATCH"
    assert refusal(STRIPE_LIKE, BODY, {"X-Signature": headers(now)["X-Signature"]}) == "WEBHOOK_SIGNATURE_MISSING"


def test_a_shared_token(settings_env: SettingsEnv) -> None:
    scheme = SharedToken(header="X-Token", credential="ZZ_TOKEN")
    settings_env.set("ZZ_TOKEN", "s3cret-token")
    assert refusal(scheme, BODY, {"X-Token": "s3cret-token"}) is None
    assert refusal(scheme, BODY, {"X-Token": " s3cret-token "}) is None
    assert refusal(scheme, BODY, {}) == "WEBHOOK_TOKEN_MISSING"
    for wrong in ("s3cret-toke", "s3cret-token2", "S3CRET-TOKEN", "é"):
        assert refusal(scheme, BODY, {"X-Token": wrong}) == "WEBHOOK_TOKEN_MISMATCH"


def test_a_missing_secret_rejects_everything_and_says_so(
    settings_env: SettingsEnv, caplog: pytest.LogCaptureFixture
) -> None:
    settings_env.unset("ZZ_TOKEN")
    with caplog.at_level(logging.ERROR):
        assert refusal(SharedToken(header="X-Token", credential="ZZ_TOKEN"), BODY, {"X-Token": ""}) == (
            "WEBHOOK_TOKEN_MISSING"
        )
        assert caplog.records == []
        assert refusal(SharedToken(header="X-Token", credential="ZZ_TOKEN"), BODY, {"X-Token": "t"}) == (
            "WEBHOOK_TOKEN_MISMATCH"
        )
    [record] = caplog.records
    assert record.getMessage() == "webhook secret is not configured; rejecting every delivery"
    assert vars(record)["secret_name"] == "ZZ_TOKEN"


# --- the Storyblok receiver, up to its handler (the rest needs Firestore and the CDN: tests/e2e) --------------------

app = flask.Flask(__name__)


def storyblok(body: bytes, headers: dict[str, str]) -> tuple[int, Any, flask.Response]:
    entry = registered()["storyblok_webhook"].entry
    with app.test_request_context("/api/webhooks/storyblok", method="POST", data=body, headers=headers):
        response: flask.Response = entry(flask.request)
    return response.status_code, json.loads(response.get_data()), response


def test_storyblok_signatures_are_checked_before_the_body_is_read(settings_env: SettingsEnv) -> None:
    settings_env.set("STORYBLOK_WEBHOOK_SECRET", "secret")
    invalid = b'{"action": "renamed"}'
    status, error, response = storyblok(invalid, {})
    assert (status, error["message"]) == (401, "STORYBLOK_SIGNATURE_MISSING")
    assert response.headers["X-Content-Type-Options"] == "nosniff" and response.headers["X-Request-ID"]
    status, error, _ = storyblok(invalid, {"webhook-signature": STORYBLOK_SIGNATURE.sign("secret", b"{}")})
    assert (status, error["message"]) == (401, "STORYBLOK_SIGNATURE_MISMATCH")
    status, error, _ = storyblok(invalid, {"webhook-signature": STORYBLOK_SIGNATURE.sign("secret", invalid)})
    assert status == 400 and len(error["message"]) == 2
    status, error, _ = storyblok(b"{nope", {"webhook-signature": STORYBLOK_SIGNATURE.sign("secret", b"{nope")})
    assert (status, error["message"]) == (400, ["body must be valid JSON"])


def test_storyblok_is_answered_inline_and_documented_with_its_body() -> None:
    spec = registered()["storyblok_webhook"]
    assert (spec.kind, spec.role, spec.status_code) == ("http", "webhook", 201)
    assert spec.deployment.secrets == ("STORYBLOK_WEBHOOK_SECRET", "STORYBLOK_PUBLIC_TOKEN")
    assert spec.body is not None and spec.body.__name__ == "StoryblokWebhook"
    assert "storyblok_webhook_worker" not in registered()


# --- declarations -------------------------------------------------------------------------------------------------


class Event(BaseModel):
    id: str


def test_inline_webhooks_declare_their_answer_and_handed_off_ones_do_not() -> None:
    scheme = SharedToken(header="X-Token", credential="ZZ_TOKEN")
    with pytest.raises(ValueError, match="inline"):
        webhook_function("/api/webhooks/zz", verify=scheme, body=Event, summary="s", respond_inline=True)
    with pytest.raises(ValueError, match="inline"):
        webhook_function("/api/webhooks/zz", verify=scheme, body=Event, summary="s", response=Event)


# Run in a fresh interpreter, so the test webhooks never join this process's registry (nor the manifest test's).
DECLARE = """
import json
from pydantic import BaseModel
from bloom.platform.registry import Sdk
from bloom.platform.webhook_verification import SharedToken
from bloom.platform.webhooks import WebhookDelivery, webhook_function
from infra.manifest import build_manifest, load_everything
from infra.openapi import build_openapi


class ZoomEvent(BaseModel):
    event: str
    event_ts: int


@webhook_function(
    "/api/webhooks/zz-zoom",
    verify=SharedToken(header="x-zm-token", credential="ZZ_ZOOM_TOKEN"),
    body=ZoomEvent,
    idempotency_key=lambda r: f"{r.body.event}:{r.body.event_ts}",
    summary="Zoom meeting events",
    secrets=("ZZ_ZOOM_API_KEY",),
    sdks=(Sdk.REQUESTS,),
    timeout_s=120,
)
def zz_zoom_webhook(delivery: WebhookDelivery[ZoomEvent]) -> None:
    pass


manifest = build_manifest()
names = ("zz_zoom_webhook", "zz_zoom_webhook_worker")
print(json.dumps({
    "functions": {f["name"]: f for f in manifest["functions"] if f["name"] in names},
    "topics": [t for t in manifest["topics"] if t["name"].startswith("webhooks.zz-")],
    "openapi": build_openapi(load_everything())["paths"]["/api/webhooks/zz-zoom"],
}))
"""


def test_a_handed_off_webhook_registers_a_receiver_a_worker_and_a_topic() -> None:
    result = subprocess.run(
        [sys.executable, "-c", DECLARE],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT / 'shared'}:{ROOT}"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    declared = json.loads(result.stdout.splitlines()[-1])
    receiver, worker = declared["functions"]["zz_zoom_webhook"], declared["functions"]["zz_zoom_webhook_worker"]
    assert (receiver["kind"], receiver["http"]) == (
        "http",
        {"method": "POST", "path": "/api/webhooks/zz-zoom", "role": "webhook"},
    )
    assert receiver["secrets"] == ["ZZ_ZOOM_TOKEN"]
    assert receiver["sdks"] == ["google.cloud.firestore", "google.cloud.pubsub_v1"]
    assert receiver["timeout_s"] == 60
    assert (worker["kind"], worker["topic"], worker["secrets"], worker["timeout_s"]) == (
        "event",
        "webhooks.zz-zoom-webhook",
        ["ZZ_ZOOM_API_KEY"],
        120,
    )
    assert worker["sdks"] == ["google.cloud.firestore", "requests"]
    [topic] = declared["topics"]
    assert topic == {"name": "webhooks.zz-zoom-webhook", "description": "Deliveries zz_zoom_webhook received"}
    operation = declared["openapi"]["post"]
    assert set(operation["responses"]) == {"202", "400", "401", "413", "503"}
    assert operation["responses"]["401"]["description"] == "WEBHOOK_TOKEN_MISSING; WEBHOOK_TOKEN_MISMATCH"
    assert "requestBody" in operation and "security" not in operation
