"""Telehealth's rules without I/O: who a Zoom participant is, Zoom's signature as Zoom documents it, the URL
validation answered through the real receiver (nothing stored before it answers), and one delivery key per event."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import flask
import pytest

from bloom.platform.registry import registered
from bloom.telehealth.models import party_of
from bloom.telehealth.schemas import ZoomEvent
from functions.telehealth import ZOOM_SIGNATURE
from tests.support.settings import SettingsEnv
from tests.support.telehealth import zoom_signature

SECRET = "zoom-secret"
app = flask.Flask(__name__)


@pytest.fixture
def secret(settings_env: SettingsEnv) -> str:
    settings_env.set("ZOOM_WEBHOOK_SECRET_TOKEN", SECRET)
    return SECRET


def deliver(body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    entry = registered()["zoom_webhook"].entry
    with app.test_request_context("/api/webhooks/zoom", method="POST", data=body, headers=headers):
        response: flask.Response = entry(flask.request)
    return response.status_code, json.loads(response.get_data())


def signed(body: bytes, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {"x-zm-signature": zoom_signature(body, stamp, SECRET), "x-zm-request-timestamp": stamp}


def test_the_host_is_the_therapist_and_anyone_else_the_patient() -> None:
    assert party_of("host-user-id", "host-user-id") == "therapist"
    assert party_of("another-zoom-user", "host-user-id") == "patient"
    assert party_of("", "host-user-id") == "patient"  # not signed in to Zoom
    assert party_of("", "") == "patient"  # an event without a host id names nobody the therapist


def test_our_signature_is_zooms(secret: str) -> None:
    body = b'{"event":"meeting.ended","event_ts":1}'
    assert ZOOM_SIGNATURE.sign(secret, body, "1700000000") == zoom_signature(body, "1700000000", secret)
    ZOOM_SIGNATURE.verify(body, signed(body))


def test_the_url_validation_is_answered_with_the_hmac_of_the_plain_token(secret: str) -> None:
    body = json.dumps(
        {"event": "endpoint.url_validation", "event_ts": 1654503849680, "payload": {"plainToken": "qgg8vlvZRS6U"}}
    ).encode()
    status, answer = deliver(body, signed(body))
    expected = hmac.new(secret.encode(), b"qgg8vlvZRS6U", hashlib.sha256).hexdigest()
    assert (status, answer) == (200, {"plainToken": "qgg8vlvZRS6U", "encryptedToken": expected})


def test_an_unsigned_or_stale_validation_gets_no_proof(secret: str) -> None:
    # Answering an unsigned one would let anyone obtain our HMAC of any text they choose (a signature oracle).
    body = json.dumps({"event": "endpoint.url_validation", "event_ts": 1, "payload": {"plainToken": "x"}}).encode()
    status, error = deliver(body, {})
    assert (status, error["message"]) == (401, "WEBHOOK_SIGNATURE_MISSING")
    for headers in (
        signed(body, int(time.time()) - 301),  # outside the 5 minutes
        signed(body, int(time.time()) + 301),
        {**signed(body), "x-zm-signature": "v0=" + "0" * 64},
        {**signed(body), "x-zm-signature": zoom_signature(body, "1", SECRET)},  # signed for another time
        {**signed(body), "x-zm-signature": zoom_signature(body, str(int(time.time())), "another-secret")},
    ):
        status, error = deliver(body, headers)
        assert (status, error["message"]) == (401, "WEBHOOK_SIGNATURE_MISMATCH")
    assert deliver(body, signed(body, int(time.time()) - 290))[0] == 200


def test_each_participant_joining_is_its_own_delivery() -> None:
    def joined(participant_uuid: str) -> ZoomEvent:
        participant = {"id": "", "participant_uuid": participant_uuid, "user_name": "never kept"}
        return ZoomEvent.model_validate(
            {
                "event": "meeting.participant_joined",
                "event_ts": 1700000000000,
                "payload": {"object": {"id": 81000000001, "uuid": "occ==", "host_id": "h", "participant": participant}},
            }
        )

    assert joined("p-1").delivery_key() != joined("p-2").delivery_key()
    assert joined("p-1").delivery_key() == joined("p-1").delivery_key()
    assert "never kept" not in json.dumps(joined("p-1").model_dump())  # names are dropped at the boundary
