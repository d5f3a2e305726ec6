"""Zoom and Google Meet as local HTTP servers with state, checking what we send: Zoom's Server-to-Server OAuth
(account id in the query, Basic client credentials) and its meetings API (bearer token issued by the fake, the body
the spec asks for); Google's token endpoint (a JWT-bearer grant signed with the test service account's key, with
the Meet scope) and Meet's `spaces.create` (bearer token from that endpoint, restricted access)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

ZOOM_API = "/zoom/v2"
ZOOM_OAUTH = "/zoom-oauth"
MEET_API = "/meet"
GOOGLE_TOKEN = "/google-oauth/token"
ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET = "test-zoom-account", "test-zoom-client", "test-zoom-client-secret"
WEBHOOK_SECRET = "test-zoom-webhook-secret"
ZOOM_BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
GOOGLE_AUDIENCE = "https://oauth2.googleapis.com/token"  # what a service account's grant is addressed to
MEET_SCOPE = "https://www.googleapis.com/auth/meetings.space.created"
SERVICE_ACCOUNT = "bloom-functions@demo-bloom.iam.gserviceaccount.com"
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_KEY_DIR = Path(tempfile.mkdtemp(prefix="bloom-meet-key-"))


def meet_key_file(base_url: str) -> Path:
    """The test service account's key file, its token endpoint on the fake (what google-auth reads)."""
    pem = _KEY.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path = _KEY_DIR / "service-account.json"
    key = {
        "type": "service_account",
        "project_id": "demo-bloom",
        "private_key_id": "test-key",
        "private_key": pem,
        "client_email": SERVICE_ACCOUNT,
        "client_id": "1",
        "token_uri": f"{base_url.rstrip('/')}{GOOGLE_TOKEN}",
    }
    path.write_text(json.dumps(key))
    return path


def telehealth_env(base_url: str) -> dict[str, str]:
    """The settings that point Zoom and Meet at the fakes on `base_url`."""
    base = base_url.rstrip("/")
    return {
        "ZOOM_API_URL": f"{base}{ZOOM_API}",
        "ZOOM_OAUTH_URL": f"{base}{ZOOM_OAUTH}",
        "ZOOM_ACCOUNT_ID": ACCOUNT_ID,
        "ZOOM_CLIENT_ID": CLIENT_ID,
        "ZOOM_CLIENT_SECRET": CLIENT_SECRET,
        "ZOOM_WEBHOOK_SECRET_TOKEN": WEBHOOK_SECRET,
        "GOOGLE_MEET_API_URL": f"{base}{MEET_API}",
        "GOOGLE_MEET_CREDENTIALS_FILE": str(meet_key_file(base)),
    }


def zoom_signature(body: bytes, timestamp: str, secret: str = WEBHOOK_SECRET) -> str:
    """Zoom's `x-zm-signature`, computed here from Zoom's documentation, not with our code."""
    return "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


@dataclass
class Zoom:
    """Zoom's account as the fake keeps it: tokens issued, meetings, and every call (method, path, status)."""

    token_seconds: int = 3600
    token_delay_s: float = 0.3  # long enough for concurrent callers to arrive during a token request
    revoked: set[str] = field(default_factory=set)
    down: bool = False  # the meetings API answers 503
    lose_next_create: bool = False  # make the meeting, then answer 502 as if the answer were lost
    refuse_creates: bool = False  # answer 400 to every creation (as for a user who may not schedule)
    tokens: list[str] = field(default_factory=list)
    meetings: dict[int, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str, int]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(81000000001))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self, server: HTTPServer) -> Zoom:
        server.expect_request(f"{ZOOM_OAUTH}/oauth/token", method="POST").respond_with_handler(self._token)
        server.expect_request(re.compile(f"^{ZOOM_API}/.*")).respond_with_handler(self._api)
        return self

    def count(self, method: str, path_start: str = "") -> int:
        return sum(1 for m, p, _ in self.calls if m == method and p.startswith(path_start))

    def _log(self, request: Request, response: Response) -> Response:
        with self._lock:
            self.calls.append((request.method, request.path, response.status_code))
        return response

    def _token(self, request: Request) -> Response:
        query = dict(request.args)
        if query != {"grant_type": "account_credentials", "account_id": ACCOUNT_ID}:
            return self._log(request, _json({"reason": "bad query", "error": "invalid_request"}, 400))
        if request.headers.get("Authorization") != ZOOM_BASIC:
            return self._log(request, _json({"reason": "Invalid client_id or client_secret"}, 400))
        time.sleep(self.token_delay_s)
        with self._lock:
            token = f"zoom-token-{len(self.tokens) + 1}"
            self.tokens.append(token)
        answer = {"access_token": token, "token_type": "bearer", "expires_in": self.token_seconds, "scope": "x"}
        return self._log(request, _json(answer))

    def _api(self, request: Request) -> Response:
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if bearer not in self.tokens or bearer in self.revoked:
            return self._log(request, _json({"code": 124, "message": "Invalid access token."}, 401))
        if self.down:
            return self._log(request, _json({"message": "down"}, 503))
        rest = request.path.removeprefix(ZOOM_API)
        if rest == "/users/me/meetings" and request.method == "POST":
            return self._log(request, self._create(request.get_json()))
        if rest == "/users/me/meetings" and request.method == "GET":
            assert request.args.get("type") == "scheduled"
            listed = [{"id": key, **meeting} for key, meeting in self.meetings.items()]
            return self._log(request, _json({"meetings": listed, "next_page_token": ""}))
        found = re.fullmatch(r"/meetings/(\d+)", rest)
        if found is None or int(found[1]) not in self.meetings:
            return self._log(request, _json({"code": 3001, "message": "Meeting does not exist"}, 404))
        meeting_id = int(found[1])
        if request.method == "PATCH":
            body = request.get_json()
            if set(body) != {"start_time", "duration", "timezone"} or not _zoom_time(body["start_time"]):
                return self._log(request, _json({"message": "bad update"}, 400))
            self.meetings[meeting_id].update(body)
            return self._log(request, Response(status=204))
        if request.method == "DELETE":
            del self.meetings[meeting_id]
            return self._log(request, Response(status=204))
        return self._log(request, _json({"message": "unexpected"}, 405))

    def _create(self, body: dict[str, Any]) -> Response:
        settings = body.get("settings", {})
        valid = (
            body.get("type") == 2
            and isinstance(body.get("topic"), str)
            and _zoom_time(body.get("start_time"))
            and isinstance(body.get("duration"), int)
            and body["duration"] > 0
            and body.get("timezone") == "UTC"
            and settings.get("waiting_room") is True
            and settings.get("auto_recording") == "none"
        )
        if not valid or self.refuse_creates:
            return _json({"code": 300, "message": "invalid meeting"}, 400)
        meeting_id = next(self._ids)
        join_url = f"https://zoom.example/j/{meeting_id}?pwd=secret-{meeting_id}"
        meeting = {key: body[key] for key in ("topic", "start_time", "duration", "timezone")}
        self.meetings[meeting_id] = {**meeting, "join_url": join_url, "settings": settings}
        if self.lose_next_create:
            self.lose_next_create = False
            return _json({"message": "bad gateway"}, 502)
        return _json({"id": meeting_id, "join_url": join_url, **meeting}, 201)


def _zoom_time(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value) is not None


@dataclass
class Meet:
    """Google's token endpoint and Meet's spaces as the fake keeps them."""

    tokens: list[str] = field(default_factory=list)
    spaces: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str, int]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self, server: HTTPServer) -> Meet:
        server.expect_request(GOOGLE_TOKEN, method="POST").respond_with_handler(self._token)
        server.expect_request(f"{MEET_API}/v2/spaces", method="POST").respond_with_handler(self._create)
        return self

    def _log(self, request: Request, response: Response) -> Response:
        with self._lock:
            self.calls.append((request.method, request.path, response.status_code))
        return response

    def _token(self, request: Request) -> Response:
        form = request.form
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self._log(request, _json({"error": "unsupported_grant_type"}, 400))
        try:
            claims = jwt.decode(
                form.get("assertion", ""),
                _KEY.public_key(),
                algorithms=["RS256"],
                audience=GOOGLE_AUDIENCE,
            )
        except jwt.InvalidTokenError:
            return self._log(request, _json({"error": "invalid_grant"}, 400))
        if claims.get("iss") != SERVICE_ACCOUNT or MEET_SCOPE not in str(claims.get("scope", "")).split():
            return self._log(request, _json({"error": "invalid_scope"}, 400))
        with self._lock:
            token = f"meet-token-{len(self.tokens) + 1}"
            self.tokens.append(token)
        return self._log(request, _json({"access_token": token, "expires_in": 3600, "token_type": "Bearer"}))

    def _create(self, request: Request) -> Response:
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
            return self._log(request, _json({"error": {"code": 401, "status": "UNAUTHENTICATED"}}, 401))
        if request.get_json() != {"config": {"accessType": "RESTRICTED"}}:
            return self._log(request, _json({"error": {"code": 400, "status": "INVALID_ARGUMENT"}}, 400))
        code = f"abc-{len(self.spaces):04d}-xyz"
        space = {"name": f"spaces/{code}", "meetingUri": f"https://meet.google.com/{code}", "meetingCode": code}
        self.spaces[space["name"]] = space
        return self._log(request, _json({**space, "config": {"accessType": "RESTRICTED"}}))
