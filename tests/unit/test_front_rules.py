"""Front's side of the live chat without I/O: the channel's signature scheme, handles and thread references, what a
channel request names, the attachment byte checks and the unread-email windows as a timeline."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime, timedelta

import pytest

from bloom.core.errors import Unauthorized
from bloom.files.service import media_accepted
from bloom.livechat.front import FrontChannelRequest, handle_of, user_of
from bloom.livechat.models import email_due, new_chat, with_read, with_reply
from functions.livechat import FRONT_SIGNATURE
from tests.support.settings import SettingsEnv

BODY = b'{"type":"message","payload":{"id":"msg_1"}}'
SECRET = "channel-secret"


def front_signed(body: bytes, timestamp: str, secret: str = SECRET) -> dict[str, str]:
    """Front's headers, computed as its docs describe (base64 HMAC-SHA256 of `{timestamp}:{body}`)."""
    digest = hmac.new(secret.encode(), f"{timestamp}:".encode() + body, hashlib.sha256).digest()
    return {"x-front-signature": base64.b64encode(digest).decode(), "x-front-request-timestamp": timestamp}


def refusal(headers: dict[str, str], body: bytes = BODY) -> str | None:
    try:
        FRONT_SIGNATURE.verify(body, headers)
    except Unauthorized as exc:
        assert isinstance(exc.message, str)
        return exc.message
    return None


def test_the_front_signature_in_milliseconds_or_seconds_within_five_minutes(settings_env: SettingsEnv) -> None:
    settings_env.set("FRONT_APP_SECRET", SECRET)
    now_ms, now_s = int(time.time() * 1000), int(time.time())
    assert refusal(front_signed(BODY, str(now_ms))) is None
    assert refusal(front_signed(BODY, str(now_s))) is None
    assert refusal(front_signed(BODY, str(now_ms - 290_000))) is None
    for stale in (now_ms - 301_000, now_ms + 301_000, now_s - 301, now_s + 301):
        assert refusal(front_signed(BODY, str(stale))) == "WEBHOOK_SIGNATURE_MISMATCH"
    assert refusal(front_signed(BODY, str(now_ms), "another-secret")) == "WEBHOOK_SIGNATURE_MISMATCH"
    assert refusal(front_signed(BODY + b" ", str(now_ms)), BODY) == "WEBHOOK_SIGNATURE_MISMATCH"
    dotted = front_signed(BODY, str(now_ms))
    dotted["x-front-signature"] = base64.b64encode(
        hmac.new(SECRET.encode(), f"{now_ms}.".encode() + BODY, hashlib.sha256).digest()
    ).decode()
    assert refusal(dotted) == "WEBHOOK_SIGNATURE_MISMATCH"  # the separator is Front's colon
    assert refusal({"x-front-signature": dotted["x-front-signature"]}) == "WEBHOOK_SIGNATURE_MISSING"


def test_the_signature_is_refused_when_the_secret_is_not_configured(settings_env: SettingsEnv) -> None:
    settings_env.unset("FRONT_APP_SECRET")
    assert refusal(front_signed(BODY, str(int(time.time() * 1000)))) == "WEBHOOK_SIGNATURE_MISMATCH"


def test_handles_are_opaque_and_name_only_bloom_users() -> None:
    assert handle_of("user-abc") == "bloom-user-user-abc"
    assert user_of(handle_of("user-abc")) == "user-abc"
    for foreign in ("someone@example.com", "bloom-user-", "bloom-user-a/b", "bloom-user-..", "user-abc"):
        assert user_of(foreign) is None


def test_a_reply_names_its_user_by_thread_reference_first() -> None:
    def request(refs: list[str], recipients: list[tuple[str, str]]) -> FrontChannelRequest:
        return FrontChannelRequest.model_validate(
            {
                "type": "message",
                "payload": {"id": "m", "recipients": [{"handle": h, "role": r} for h, r in recipients]},
                "metadata": {"external_conversation_ids": refs},
            }
        )

    assert request(["bloom-user-u1"], [("bloom-user-u2", "to")]).reply_user() == "u1"
    assert request([], [("bloom-user-u9", "from"), ("bloom-user-u2", "to")]).reply_user() == "u2"
    assert request(["other"], [("someone@example.com", "to")]).reply_user() is None
    assert FrontChannelRequest.model_validate({"type": "authorization"}).reply_user() is None


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 16
WEBM = b"\x1a\x45\xdf\xa3" + b"\0" * 16


@pytest.mark.parametrize(
    ("content_type", "data", "accepted"),
    [
        ("image/png", PNG, True),
        ("image/jpeg", JPEG, True),
        ("image/gif", b"GIF89a" + b"\0" * 8, True),
        ("image/webp", b"RIFF\0\0\0\0WEBPVP8 ", True),
        ("audio/webm", WEBM, True),
        ("audio/ogg", b"OggS\0\2", True),
        ("audio/mp4", b"\0\0\0\x20ftypM4A ", True),
        ("audio/mpeg", b"ID3\4\0", True),
        ("audio/mpeg", b"\xff\xfb\x90\x64", True),
        ("application/pdf", b"%PDF-1.7", True),
        ("image/png", JPEG, False),  # lying bytes
        ("image/jpeg", b"<script>alert(1)</script>", False),
        ("audio/webm", PNG, False),
        ("image/webp", b"RIFF\0\0\0\0WAVEfmt ", False),
        ("audio/mpeg", b"\xff\x00", False),
        ("image/svg+xml", b"<svg/>", False),  # not a type the chat takes
        ("text/html", b"<html>", False),
        ("image/png", b"", False),
    ],
)
def test_attachment_bytes_must_be_their_declared_type(content_type: str, data: bytes, accepted: bool) -> None:
    assert media_accepted(content_type, data) is accepted


T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_unread_emails_as_a_job_firing_every_minute_sees_them() -> None:
    """A reply at T0, unread: the job fires each minute for 8 hours and sends when `email_due` says so, claiming
    the email as the service does. Emails go at +5 min, +2 h 5 min and +4 h 5 min: three, once per window."""
    chat = with_reply(new_chat("u1", T0), T0)
    sent: list[timedelta] = []
    for minute in range(8 * 60):
        now = T0 + timedelta(minutes=minute)
        if email_due(chat, now):
            sent.append(now - T0)
            chat = chat.model_copy(update={"emails_sent": chat.emails_sent + 1, "last_email_at": now})
    assert sent == [timedelta(minutes=5), timedelta(hours=2, minutes=5), timedelta(hours=4, minutes=5)]
    read = with_read(chat, T0 + timedelta(hours=9))
    assert not email_due(read, T0 + timedelta(hours=10))
    again = with_reply(read, T0 + timedelta(hours=11))  # a new reply starts the windows again
    assert not email_due(again, T0 + timedelta(hours=11, minutes=4))
    assert email_due(again, T0 + timedelta(hours=11, minutes=5))
