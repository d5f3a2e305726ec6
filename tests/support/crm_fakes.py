"""Crisp, Mailchimp and respond.io as local HTTP servers with state: they keep the profiles, members and contacts
we write (checking the credentials and keys we send), and can be taken down (500) to test recovery."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

CRISP = "/crisp/v1/website/test-website"
MAILCHIMP = "/mailchimp/3.0/lists/test-audience/members"
RESPOND_IO = "/respond-io"
CRISP_AUTH = "Basic " + base64.b64encode(b"test-crisp-identifier:test-crisp-key").decode()


@dataclass
class Providers:
    """What the three providers hold, and what they were sent (method, path, status answered)."""

    crisp: dict[str, dict[str, Any]] = field(default_factory=dict)  # email → {person, segments, data}
    mailchimp: dict[str, dict[str, Any]] = field(default_factory=dict)  # subscriber hash → member
    mailchimp_events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (subscriber hash, body)
    respond_io: dict[str, str] = field(default_factory=dict)  # phone number → name
    down: set[str] = field(default_factory=set)  # "crisp", "mailchimp", "respond.io": answer 500
    calls: list[tuple[str, str, str, int]] = field(default_factory=list)  # (provider, method, path, status)

    def install(self, server: HTTPServer) -> Providers:
        server.expect_request(re.compile(f"^{CRISP}/.*")).respond_with_handler(self._crisp)
        server.expect_request(re.compile(f"^{MAILCHIMP}/.*")).respond_with_handler(self._mailchimp)
        server.expect_request(re.compile(f"^{RESPOND_IO}/.*")).respond_with_handler(self._respond_io)
        return self

    def member(self, email: str) -> dict[str, Any] | None:
        return self.mailchimp.get(hashlib.md5(email.lower().encode()).hexdigest())

    def count(self, provider: str, method: str, status: int | None = None) -> int:
        return sum(1 for p, m, _, s in self.calls if p == provider and m == method and status in (None, s))

    def _answer(self, provider: str, request: Request, status: int, body: Any = None) -> Response:
        self.calls.append((provider, request.method, request.path, status))
        return Response(json.dumps(body if body is not None else {}), status=status, content_type="application/json")

    def _crisp(self, request: Request) -> Response:
        if "crisp" in self.down:
            return self._answer("crisp", request, 500)
        if request.headers.get("Authorization") != CRISP_AUTH or request.headers.get("X-Crisp-Tier") != "plugin":
            return self._answer("crisp", request, 401)
        rest = request.path.removeprefix(CRISP)
        if request.method == "POST" and rest == "/people/profile":
            body = request.get_json()
            if body["email"] in self.crisp:
                return self._answer("crisp", request, 409)
            self.crisp[body["email"]] = {"person": body["person"], "segments": body["segments"], "data": {}}
            return self._answer("crisp", request, 201)
        kind, _, email = rest.removeprefix("/people/").partition("/")
        email = unquote(email)
        if email not in self.crisp:
            return self._answer("crisp", request, 404)
        if request.method == "DELETE" and kind == "profile":
            del self.crisp[email]
        elif request.method == "PUT" and kind == "profile":
            body = request.get_json()
            self.crisp[email].update(person=body["person"], segments=body["segments"])
        elif request.method == "PUT" and kind == "data":
            self.crisp[email]["data"] = request.get_json()["data"]
        else:
            return self._answer("crisp", request, 405)
        return self._answer("crisp", request, 200)

    def _mailchimp(self, request: Request) -> Response:
        if "mailchimp" in self.down:
            return self._answer("mailchimp", request, 500)
        if request.authorization is None or request.authorization.password != "test-mailchimp-key-us1":
            return self._answer("mailchimp", request, 401)
        subscriber_hash, _, action = request.path.removeprefix(MAILCHIMP + "/").partition("/")
        if request.method == "PUT" and not action:
            member = request.get_json()
            if hashlib.md5(member["email_address"].lower().encode()).hexdigest() != subscriber_hash:
                return self._answer("mailchimp", request, 400)
            self.mailchimp[subscriber_hash] = member
            return self._answer("mailchimp", request, 200, member)
        if request.method == "POST" and action == "events":
            if subscriber_hash not in self.mailchimp:
                return self._answer("mailchimp", request, 404)
            self.mailchimp_events.append((subscriber_hash, request.get_json()))
            return self._answer("mailchimp", request, 204)
        if request.method == "POST" and action == "actions/delete-permanent":
            if self.mailchimp.pop(subscriber_hash, None) is None:
                return self._answer("mailchimp", request, 404)
            return self._answer("mailchimp", request, 204)
        return self._answer("mailchimp", request, 405)

    def _respond_io(self, request: Request) -> Response:
        if "respond.io" in self.down:
            return self._answer("respond.io", request, 500)
        body = request.get_json()
        if request.path == f"{RESPOND_IO}/create-contact":
            self.respond_io[body["phonenumber"]] = body["name"]
        elif request.path == f"{RESPOND_IO}/delete-contact":
            self.respond_io.pop(body["phonenumber"], None)
        else:
            return self._answer("respond.io", request, 404)
        return self._answer("respond.io", request, 200)
