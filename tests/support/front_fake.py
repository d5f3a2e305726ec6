"""Front as a local HTTP server with state, held to what Front's docs say (sources in docs/livechat.md, "Front"):

- `POST /channels/{id}/incoming_messages` ("Receive custom messages") takes only the fields it documents
  (`sender {handle, name, contact_id}`, `subject`, `body`, `body_format`, `metadata {thread_ref, headers}`,
  `attachments`): anything else is a 400 here, so a field Front does not know fails a test instead of being dropped
  in silence. It has no idempotency key: every post is a new message (threaded by `thread_ref` into the sender's
  conversation; the sender's handle becomes a contact with source `custom`). It answers 202 `{status, message_uid}`.
- `GET /contacts/{alias}/conversations` and `GET /conversations/{id}/messages` list them, newest first, with the
  `metadata.headers` they were posted with; `DELETE /contacts/{alias}` erases a contact, 404 when there is none.
  A contact is named by the resource alias `alt:custom:{handle}`, written as is (not percent-encoded).

`down` answers 500 to everything; `answers_lost` takes the next N messages and answers 500 anyway (an answer that
never reached us); `reads_refused` answers 403 to the listings (a token without the read scopes). Installed on the
session's first fake server (`FRONT_API_URL`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

PREFIX = "/front"
CHANNEL = "cha_test"
TOKEN = "test-front-token"
APP_SECRET = "test-front-app-secret"
CONTACT_ALIAS = "alt:custom:"
CUSTOM_MESSAGE_FIELDS = {"sender", "subject", "body", "body_format", "metadata", "attachments"}
SENDER_FIELDS = {"handle", "name", "contact_id"}
METADATA_FIELDS = {"thread_ref", "headers"}


@dataclass
class IncomingFile:
    name: str
    content_type: str
    data: bytes


@dataclass
class Incoming:
    """A message the channel received: the JSON body (or the multipart form's fields, as sent) and its files."""

    body: dict[str, Any]
    files: list[IncomingFile]


@dataclass
class StoredMessage:
    """A message in a Front conversation."""

    id: str
    uid: str
    conversation: str
    handle: str  # the sender's
    headers: dict[str, Any]


@dataclass
class FrontFake:
    received: list[Incoming] = field(default_factory=list)
    messages: list[StoredMessage] = field(default_factory=list)  # every message Front holds, oldest first
    conversations: dict[str, str] = field(default_factory=dict)  # thread reference → conversation id
    contacts: set[str] = field(default_factory=set)  # the handles the channel made contacts of
    deleted_contacts: list[str] = field(default_factory=list)  # aliases of contacts erased
    refused: int = 0  # requests without the right token
    down: bool = False
    failed: int = 0  # requests answered 500 while down
    answers_lost: int = 0  # the next messages to take and then answer 500
    reads_refused: bool = False  # a token without the read scopes: listing conversations is a 403
    downloads: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # link id → (content type, bytes)

    def install(self, server: HTTPServer) -> FrontFake:
        server.expect_request(re.compile(f"^{PREFIX}/.*")).respond_with_handler(self._handle)
        return self

    def _handle(self, request: Request) -> Response:
        if self.down:
            self.failed += 1
            return _json({}, 500)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.refused += 1
            return _json({}, 401)
        path = request.path.removeprefix(PREFIX)
        if self.reads_refused and request.method == "GET" and not path.startswith("/download/"):
            return _json({"_error": {"status": 403, "title": "Forbidden"}}, 403)
        raw_path = urlsplit(request.environ.get("REQUEST_URI", request.path)).path.removeprefix(PREFIX)
        if request.method == "POST" and path == f"/channels/{CHANNEL}/incoming_messages":
            return self._incoming(request)
        if (
            request.method == "GET"
            and path.startswith("/download/")
            and path.removeprefix("/download/") in self.downloads
        ):
            content_type, data = self.downloads[path.removeprefix("/download/")]
            return Response(data, status=200, content_type=content_type)
        contact = re.fullmatch(r"/contacts/alt:custom:([^/]+)(/conversations)?", raw_path)
        if contact is not None:
            return self._contact(request, unquote(contact.group(1)), listing=contact.group(2) is not None)
        conversation = re.fullmatch(r"/conversations/([^/]+)/messages", path)
        if request.method == "GET" and conversation is not None:
            listed = [m for m in reversed(self.messages) if m.conversation == conversation.group(1)]
            return _json({"_results": [_message(m) for m in listed[: int(request.args.get("limit", "50"))]]})
        return _json({}, 404)

    def _incoming(self, request: Request) -> Response:
        if request.mimetype == "application/json":
            body = request.get_json()
            incoming = Incoming(body=body, files=[])
        else:
            body = _unflatten(request.form.to_dict())
            files = [
                IncomingFile(name=f.filename or "", content_type=f.mimetype, data=f.read())
                for f in request.files.getlist("attachments")
            ]
            incoming = Incoming(body=request.form.to_dict(), files=files)
        sender, metadata = body.get("sender", {}), body.get("metadata", {})
        if (
            not set(body) <= CUSTOM_MESSAGE_FIELDS
            or not set(sender) <= SENDER_FIELDS
            or not set(metadata) <= METADATA_FIELDS
            or not sender.get("handle")
            or "body" not in body
        ):
            return _json(
                {"_error": {"status": 400, "title": "Bad request", "message": "Body did not satisfy requirements"}}, 400
            )
        self.received.append(incoming)
        self.contacts.add(sender["handle"])
        uid = hashlib.sha256(f"{len(self.messages)}:{json.dumps(body, sort_keys=True)}".encode()).hexdigest()[:16]
        thread = metadata.get("thread_ref") or sender["handle"]  # no thread_ref: Front threads by sender
        conversation = self.conversations.setdefault(thread, f"cnv_{len(self.conversations) + 1}")
        headers = dict(metadata.get("headers", {}))
        self.messages.append(StoredMessage(f"msg_{uid[:8]}", uid, conversation, sender["handle"], headers))
        if self.answers_lost:
            self.answers_lost -= 1
            return _json({}, 500)
        return _json({"status": "accepted", "message_uid": uid}, 202)

    def _contact(self, request: Request, handle: str, *, listing: bool) -> Response:
        if handle not in self.contacts:
            return _json({"_error": {"status": 404, "title": "Not found"}}, 404)
        if listing and request.method == "GET":
            conversations = dict.fromkeys(m.conversation for m in reversed(self.messages) if m.handle == handle)
            return _json({"_results": [{"id": conversation} for conversation in conversations]})
        if not listing and request.method == "DELETE":
            self.contacts.discard(handle)
            self.deleted_contacts.append(CONTACT_ALIAS + handle)
            return Response(status=204)
        return _json({}, 405)


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _message(message: StoredMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "message_uid": message.uid,
        "type": "custom",
        "is_inbound": True,
        "metadata": {"headers": message.headers},
    }


def _unflatten(form: dict[str, str]) -> dict[str, Any]:
    """A multipart form's `a[b][c]` fields as nested objects (how `sender[handle]` reaches Front)."""
    nested: dict[str, Any] = {}
    for key, value in form.items():
        head, *rest = key.replace("]", "").split("[")
        target = nested
        for part in [head, *rest][:-1]:
            target = target.setdefault(part, {})
        target[[head, *rest][-1]] = value
    return nested


def front_env(base_url: str) -> dict[str, str]:
    return {
        "FRONT_API_URL": f"{base_url.rstrip('/')}{PREFIX}",
        "FRONT_CHANNEL_ID": CHANNEL,
        "FRONT_API_TOKEN": TOKEN,
        "FRONT_APP_SECRET": APP_SECRET,
    }


def sign(raw_body: bytes, timestamp: str, secret: str = APP_SECRET) -> str:
    """What Front sends in `X-Front-Signature`: base64 HMAC-SHA256 of `{timestamp}:{raw body}` (written out here,
    apart from the code under test)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b":" + raw_body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
