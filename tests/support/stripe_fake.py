"""Stripe as a local HTTP server with state, speaking its form-encoded v1 API and checking what we send: the secret
key, the form encoding, an idempotency key on every POST (a repeat with the same key and the same parameters gets
the first answer; with other parameters, Stripe's 400 `idempotency_error`), PaymentIntents whose metadata holds ids
only, refunds of at most what is left. The test moves an intent on (`succeed`, `fail`) and gets the events Stripe
would send, signed as Stripe signs them (`signature`, computed here from Stripe's documentation, not with the SDK or
our code)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

STRIPE = "/stripe"
SECRET_KEY = "sk_test_bloom_fake"
WEBHOOK_SECRET = "whsec_test_bloom_fake"
INTENT_PARAMS = {
    "amount",
    "currency",
    "metadata[appointmentId]",
    "metadata[patientId]",
    "automatic_payment_methods[enabled]",
}


# Ids are unique for the whole session: a stack subscriber still acting on an earlier test's intent must not find
# this test's intent under the same id.
_IDS = itertools.count(1)


def stripe_env(base_url: str) -> dict[str, str]:
    """The settings that point the Stripe SDK at the fake on `base_url`."""
    return {
        "STRIPE_API_BASE": f"{base_url.rstrip('/')}{STRIPE}",
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }


def signature(payload: bytes, *, timestamp: int | None = None, secret: str = WEBHOOK_SECRET) -> str:
    """`Stripe-Signature`: `t={unix}` and `v1=` hex HMAC-SHA256 of `{t}.{raw body}` keyed by the whole `whsec_`."""
    sent = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{sent}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={sent},v1={digest}"


def _error(status: int, kind: str, message: str, param: str | None = None) -> Response:
    body = {"error": {"type": kind, "message": message, **({"param": param} if param else {})}}
    return Response(json.dumps(body), status=status, content_type="application/json")


@dataclass
class StripeFake:
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)  # by intent id
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str], str | None]] = field(default_factory=list)  # method, path, form, key
    down: bool = False
    _answers: dict[str, tuple[str, dict[str, str], Response]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self, server: HTTPServer) -> StripeFake:
        server.expect_request(re.compile(f"^{STRIPE}/v1/.*")).respond_with_handler(self._handle)
        return self

    # ------------------------------------------------------------ what the test does as Stripe

    def succeed(self, intent_id: str) -> dict[str, Any]:
        """The customer paid: the intent succeeds with a charge; the `payment_intent.succeeded` event."""
        with self._lock:
            intent = self.intents[intent_id]
            charge_id = f"ch_{next(_IDS)}"
            intent.update(status="succeeded", amount_received=intent["amount"], latest_charge=charge_id)
            self.charges[intent_id] = {
                "id": charge_id,
                "object": "charge",
                "amount": intent["amount"],
                "amount_refunded": 0,
                "refunded": False,
                "currency": intent["currency"],
                "payment_intent": intent_id,
                "metadata": {},
            }
            return self.event("payment_intent.succeeded", dict(intent))

    def fail(self, intent_id: str) -> dict[str, Any]:
        """A card was declined: the `payment_intent.payment_failed` event (the intent waits for another method)."""
        with self._lock:
            intent = dict(self.intents[intent_id])
        error = {"type": "card_error", "code": "card_declined", "decline_code": "generic_decline"}
        return self.event("payment_intent.payment_failed", {**intent, "last_payment_error": error})

    def refund_event(self, intent_id: str) -> dict[str, Any]:
        """`charge.refunded` for the intent's charge as it stands (cumulative `amount_refunded`)."""
        with self._lock:
            return self.event("charge.refunded", dict(self.charges[intent_id]))

    def refund_directly(self, intent_id: str, amount: int) -> dict[str, Any]:
        """A refund made in Stripe's dashboard; its `charge.refunded` event."""
        with self._lock:
            self._refund(intent_id, amount)
        return self.refund_event(intent_id)

    def event(self, kind: str, data_object: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": f"evt_{next(_IDS)}",
            "object": "event",
            "api_version": "2025-06-30.basil",
            "created": int(time.time()),
            "data": {"object": data_object},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": kind,
        }

    def posts(self, path: str) -> list[tuple[dict[str, str], str | None]]:
        return [(form, key) for method, p, form, key in self.requests if method == "POST" and p == path]

    # ------------------------------------------------------------ the API

    def _handle(self, request: Request) -> Response:
        path = request.path.removeprefix(STRIPE)
        form = dict(parse_qsl(request.get_data(as_text=True), keep_blank_values=True))
        key = request.headers.get("Idempotency-Key")
        with self._lock:
            self.requests.append((request.method, path, form, key))
            if self.down:
                return _error(500, "api_error", "Stripe is down (test)")
            if request.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
                return _error(401, "invalid_request_error", "Invalid API Key provided")
            if request.method != "POST":
                return self._get(path)
            if request.mimetype != "application/x-www-form-urlencoded":
                return _error(400, "invalid_request_error", "form encoding expected")
            if not key:
                return _error(400, "invalid_request_error", "an Idempotency-Key is expected on every POST")
            earlier = self._answers.get(key)
            if earlier is not None:
                if earlier[:2] != (path, form):
                    return _error(
                        400,
                        "idempotency_error",
                        "Keys for idempotent requests can only be used with the same parameters",
                    )
                return earlier[2]
            answer = self._post(path, form)
            if answer.status_code < 500:
                self._answers[key] = (path, form, answer)
            return answer

    def _get(self, path: str) -> Response:
        found = re.fullmatch(r"/v1/payment_intents/([^/]+)", path)
        if found is None or found.group(1) not in self.intents:
            return _error(404, "invalid_request_error", "No such payment_intent")
        return Response(json.dumps(self.intents[found.group(1)]), content_type="application/json")

    def _post(self, path: str, form: dict[str, str]) -> Response:
        if path == "/v1/payment_intents":
            return self._create_intent(form)
        if path == "/v1/refunds":
            if set(form) - {"payment_intent", "amount"}:
                return _error(400, "invalid_request_error", "unexpected parameters")
            charge = self.charges.get(form.get("payment_intent", ""))
            if charge is None:
                return _error(400, "invalid_request_error", "This PaymentIntent has no successful charge")
            amount = int(form.get("amount", charge["amount"] - charge["amount_refunded"]))
            if not 0 < amount <= charge["amount"] - charge["amount_refunded"]:
                return _error(400, "invalid_request_error", "Refund amount is greater than unrefunded amount")
            refund = self._refund(form["payment_intent"], amount)
            return Response(json.dumps(refund), content_type="application/json")
        return _error(404, "invalid_request_error", "Unrecognized request URL")

    def _create_intent(self, form: dict[str, str]) -> Response:
        if set(form) != INTENT_PARAMS:
            return _error(400, "invalid_request_error", f"unexpected parameters: {sorted(set(form) ^ INTENT_PARAMS)}")
        if not form["amount"].isdigit() or int(form["amount"]) < 1 or form["currency"] != form["currency"].lower():
            return _error(400, "invalid_request_error", "amount or currency invalid", "amount")
        intent_id = f"pi_{next(_IDS)}"
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": int(form["amount"]),
            "amount_received": 0,
            "currency": form["currency"],
            "status": "requires_payment_method",
            "client_secret": f"{intent_id}_secret_{next(_IDS)}",
            "metadata": {"appointmentId": form["metadata[appointmentId]"], "patientId": form["metadata[patientId]"]},
            "automatic_payment_methods": {"enabled": form["automatic_payment_methods[enabled]"] == "true"},
            "latest_charge": None,
            "livemode": False,
            "created": int(time.time()),
        }
        self.intents[intent_id] = intent
        return Response(json.dumps(intent), content_type="application/json")

    def _refund(self, intent_id: str, amount: int) -> dict[str, Any]:
        charge = self.charges[intent_id]
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        refund_id = f"re_{next(_IDS)}"
        self.refunds[refund_id] = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "charge": charge["id"],
            "currency": charge["currency"],
            "payment_intent": intent_id,
            "metadata": {},
            "reason": None,
            "status": "succeeded",
            "created": int(time.time()),
        }
        return self.refunds[refund_id]
