"""`POST front-chat/attachments` through the gateway, as the frontend sends it (multipart `file`, Bearer token):
good bytes are stored privately, relayed to Front with the file and fetched through a signed URL; lying bytes,
other types and files over 25 MB are refused with nothing stored."""

from __future__ import annotations

import pytest
import requests
from pytest_httpserver import HTTPServer

from bloom.livechat import service as livechat
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.front_fake import FrontFake
from tests.support.users import make_user
from tests.support.wait import eventually

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(64)
MAX_BYTES = 25 * 1024 * 1024


@pytest.fixture
def front(stack: RunningStack, httpserver: HTTPServer) -> FrontFake:
    return FrontFake().install(httpserver)


@pytest.fixture
def user(auth: AuthEmulator) -> AuthAccount:
    return make_user(auth, "sender@example.com")


def upload(stack: RunningStack, account: AuthAccount, name: str, data: bytes, content_type: str) -> requests.Response:
    return requests.post(
        f"{stack.api}/v1/front-chat/attachments",
        files={"file": (name, data, content_type)},
        headers=account.headers,
        timeout=120,
    )


def test_an_image_is_stored_relayed_to_front_and_fetched_through_a_signed_url(
    stack: RunningStack, front: FrontFake, user: AuthAccount
) -> None:
    response = upload(stack, user, "photo.png", PNG, "image/png")
    assert (response.status_code, response.content) == (204, b"")
    [message] = livechat.messages_of(f"user-{user.uid}")
    [attachment] = message.attachments
    # its text is the file's name: what the frontend's optimistic bubble shows, replaced when `history` brings it
    assert (message.role, message.text, attachment.kind, attachment.name) == ("user", "photo.png", "image", "photo.png")
    assert attachment.url.startswith("/front-chat/attachments/")
    assert message.history_entry()["attachments"] == [{"url": attachment.url, "kind": "image", "name": "photo.png"}]
    [incoming] = eventually(lambda: list(front.received), lambda got: len(got) == 1)
    assert incoming.body["sender[handle]"] == f"bloom-user-user-{user.uid}"
    assert incoming.body["metadata[headers][bloom_message_id]"] == message.id and incoming.body["body"] == "photo.png"
    assert [(f.name, f.content_type, f.data) for f in incoming.files] == [("photo.png", "image/png", PNG)]
    # the frontend prefixes its API URL; the route answers with a redirect to a short-lived signed URL
    fetched = requests.get(f"{stack.api}/v1{attachment.url}", allow_redirects=False, timeout=30)
    assert fetched.status_code == 302
    signed = fetched.headers["Location"]
    assert "X-Goog-Signature" in signed and attachment.url.rsplit("/", 1)[1] not in signed.split("?")[1]
    assert requests.get(signed, timeout=30).content == PNG
    missing = requests.get(f"{stack.api}/v1/front-chat/attachments/not-a-token", allow_redirects=False, timeout=30)
    assert missing.status_code == 404


def test_a_voice_note_is_a_voice_attachment(stack: RunningStack, front: FrontFake, user: AuthAccount) -> None:
    webm = b"\x1a\x45\xdf\xa3" + bytes(128)
    # what `useMessaging` sends for a recording: a Blob named voice-note.webm, typed as MediaRecorder made it
    assert upload(stack, user, "voice-note.webm", webm, "audio/webm;codecs=opus").status_code == 204
    [message] = livechat.messages_of(f"user-{user.uid}")
    assert (message.attachments[0].kind, message.text) == ("voice", "Voice note")
    [incoming] = eventually(lambda: list(front.received), lambda got: len(got) == 1)
    assert incoming.body["body"] == "Voice note"


@pytest.mark.parametrize(
    ("name", "data", "content_type", "message"),
    [
        ("photo.png", JPEG, "image/png", "File content does not match its type"),
        ("page.png", b"<html><script>alert(1)</script>", "image/png", "File content does not match its type"),
        ("page.html", b"<html></html>", "text/html", 'File type "text/html" is not allowed'),
        ("empty.png", b"", "image/png", "File content does not match its type"),
    ],
)
def test_lying_bytes_and_other_types_are_refused(
    stack: RunningStack, user: AuthAccount, name: str, data: bytes, content_type: str, message: str
) -> None:
    response = upload(stack, user, name, data, content_type)
    assert (response.status_code, response.json()["message"]) == (400, message)
    assert livechat.messages_of(f"user-{user.uid}") == []


def test_a_request_without_a_file_is_refused(stack: RunningStack, user: AuthAccount) -> None:
    response = requests.post(
        f"{stack.api}/v1/front-chat/attachments", files={"other": ("a.png", PNG, "image/png")},
        headers=user.headers, timeout=30,
    )  # fmt: skip
    assert (response.status_code, response.json()["message"]) == (400, "No file provided")


def test_a_file_over_25_mb_is_refused(stack: RunningStack, user: AuthAccount) -> None:
    too_big = PNG + bytes(MAX_BYTES + 1 - len(PNG))
    response = upload(stack, user, "big.png", too_big, "image/png")
    assert (response.status_code, response.json()["message"]) == (413, "File too large")
    far_too_big = upload(stack, user, "bigger.png", too_big + bytes(1024 * 1024), "image/png")
    assert far_too_big.status_code == 413  # refused before its body is read
    assert livechat.messages_of(f"user-{user.uid}") == []


def test_the_upload_needs_a_signed_in_user(stack: RunningStack) -> None:
    response = requests.post(
        f"{stack.api}/v1/front-chat/attachments", files={"file": ("a.png", PNG, "image/png")}, timeout=30
    )
    assert response.status_code == 401
