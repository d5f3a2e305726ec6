"""Front as a local HTTP server with state: the messages the channel received (checking the token we send) and the
contacts erased; `down` makes it answer 500. Installed on the session's first fake server (`FRONT_API_URL`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

PREFIX = "/front"
CHANNEL = "cha_test"
TOKEN = "test-front-token"
APP_SECRET = "test-front-app-secret"


@dataclass
class IncomingFile:
    name: str
    content_type: str
    data: bytes


@dataclass
class Incoming:
    """A message the channel received: the JSON body (or the multipart form's fields) and its files."""

    body: dict[str, Any]
    files: list[IncomingFile]


@dataclass
class FrontFake:
    received: list[Incoming] = field(default_factory=list)
    deleted_contacts: list[str] = field(default_factory=list)
    refused: int = 0  # requests without the right token
    down: bool = False
    failed: int = 0  # requests answered 500 while down
    downloads: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # link id → (content type, bytes)

    def install(self, server: HTTPServer) -> FrontFake:
        server.expect_request(re.compile(f"^{PREFIX}/.*")).respond_with_handler(self._handle)
        return self

    def _handle(self, request: Request) -> Response:
        if self.down:
            self.failed += 1
            return Response("{}", status=500, content_type="application/json")
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.refused += 1
            return Response("{}", status=401, content_type="application/json")
        path = request.path.removeprefix(PREFIX)
        if request.method == "POST" and path == f"/channels/{CHANNEL}/incoming_messages":
            return self._incoming(request)
        if (
            request.method == "GET"
            and path.startswith("/download/")
            and path.removeprefix("/download/") in self.downloads
        ):
            content_type, data = self.downloads[path.removeprefix("/download/")]
            return Response(data, status=200, content_type=content_type)
        if request.method == "DELETE" and path.startswith("/contacts/"):
            self.deleted_contacts.append(path.removeprefix("/contacts/"))
            return Response(status=204)
        return Response("{}", status=404, content_type="application/json")

    def _incoming(self, request: Request) -> Response:
        if request.mimetype == "application/json":
            incoming = Incoming(body=request.get_json(), files=[])
        else:
            form = request.form.to_dict()
            files = [
                IncomingFile(name=f.filename or "", content_type=f.mimetype, data=f.read())
                for f in request.files.getlist("attachments")
            ]
            incoming = Incoming(body=form, files=files)
        self.received.append(incoming)
        uid = hashlib.sha256(json.dumps(incoming.body, sort_keys=True).encode()).hexdigest()[:16]
        return Response(
            json.dumps({"status": "accepted", "message_uid": uid}), status=202, content_type="application/json"
        )


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
