"""The therapy part of `make bench`, on a real local stack with Simplybook as a local fake HTTP server:
- Firestore round trips for an applied booking: the ledger alone (`apply_booking`, Zapier path), the Simplybook
  path (its cached token read, then the ledger), and the whole worker as Pub/Sub invokes it (event-id claim and
  outcome, ledger, outbox bookkeeping), each counted in-process against the stack's emulators;
- webhook-to-applied latency: a Zapier delivery POSTed to the gateway until its ledger record exists (through
  the local Pub/Sub push to the worker);
- `PATCH therapy-session/{id}/cancel`: round trips (the stack's `X-Bloom-Firestore-Round-Trips`) and latency.
Nothing is asserted; the goal for an applied booking's ledger is ≤ 4 round trips.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.bench_report import print_table
from infra.stack_runner import RunningStack, start_stack, stop_stack

BOOKINGS = 30
CANCELS = 10  # the cancel endpoint allows 10 a minute per user
SESSIONS = 1000  # enough for every booking the bench makes to be charged
ZAPIER_TOKEN = "bench-zapier-token"  # noqa: S105 - a local bench stack's own value
START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)


class _FakeSimplybook(BaseHTTPRequestHandler):
    """Signs in, serves any booking id (for the user in `user_id`), cancels anything."""

    user_id = ""

    def _answer(self, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._answer({"token": "bench-token"})

    def do_GET(self) -> None:
        booking_id = int(self.path.rsplit("/", 1)[-1])
        self._answer(
            {
                "id": booking_id,
                "code": f"bench{booking_id}",
                "start_datetime": START.strftime("%Y-%m-%d %H:%M:%S"),
                "end_datetime": (START + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S"),
                "service": {"name": "Therapy"},
                "provider": {"name": "Bench Therapist", "email": "therapist@example.com"},
                "client": {"email": "bench.client@example.com"},
                "additional_fields": [{"field_name": "user_id", "value": self.user_id}],
            }
        )

    def do_DELETE(self) -> None:
        self._answer({})

    def log_message(self, format: str, *args: Any) -> None:
        return


def _percentiles(values: list[float]) -> tuple[str, str]:
    ordered = sorted(values)
    return f"{statistics.median(ordered):.1f}", f"{ordered[max(int(len(ordered) * 0.95) - 1, 0)]:.1f}"


def _counted(work: Callable[[int], object], runs: int) -> str:
    """The distinct round-trip counts of `runs` calls of `work(i)`, as `a/b`."""
    from bloom.platform.store.client import start_round_trip_count

    seen: set[int] = set()
    for i in range(runs):
        counter = start_round_trip_count()
        work(i)
        seen.add(counter.count)
    return "/".join(map(str, sorted(seen)))


def _given_user(stack: RunningStack) -> tuple[AuthAccount, str]:
    """A signed-in Bloom user with one therapy access of `SESSIONS` sessions (written directly: setup, not measured)."""
    from bloom.core.time import utcnow
    from bloom.partners.models import PartnerAccessRecord, PartnerRecord
    from bloom.partners.repository import PartnerAccessesRepository, PartnersRepository
    from bloom.users.repository import UsersRepository
    from bloom.users.schemas import UserRecord

    now = utcnow()
    partner = PartnerRecord(id=str(uuid.uuid4()), name="Bench", name_key="bench", created_at=now, updated_at=now)
    PartnersRepository().save(partner.id, partner)
    account = AuthEmulator(stack.auth, stack.project).sign_up("bench.client@example.com")
    user_id, access_id = str(uuid.uuid4()), str(uuid.uuid4())
    UsersRepository().save(account.uid, UserRecord(id=user_id, email=account.email, partner_access_ids=[access_id]))
    access = PartnerAccessRecord(
        id=access_id,
        partner_id=partner.id,
        user_id=user_id,
        feature_live_chat=True,
        feature_therapy=True,
        therapy_sessions_remaining=SESSIONS,
        therapy_sessions_redeemed=0,
        created_at=now,
        updated_at=now,
    )
    PartnerAccessesRepository().save(access_id, access)
    return account, user_id


def _zapier_body(user_id: str, code: str) -> dict[str, Any]:
    return {
        "action": "NEW_BOOKING",
        "client_email": "bench.client@example.com",
        "user_id": user_id,
        "booking_code": code,
        "service_name": "Therapy",
        "service_provider_name": "Bench Therapist",
        "start_date_time": START.isoformat(),
        "end_date_time": (START + timedelta(hours=1)).isoformat(),
    }


def _measure(stack: RunningStack) -> list[list[str]]:
    from bloom.core.settings import get_settings

    get_settings.cache_clear()
    import functions.therapy  # noqa: F401 - registers the worker measured below
    from bloom.platform.events import Delivery
    from bloom.platform.registry import registered
    from bloom.platform.webhooks import WebhookReceived
    from bloom.therapy import service as therapy
    from bloom.therapy.models import ledger_key
    from bloom.therapy.repository import BookingsRepository
    from bloom.therapy.schemas import SimplybookNotification, ZapierBooking

    account, user_id = _given_user(stack)
    _FakeSimplybook.user_id = user_id
    rows: list[list[str]] = []

    def zapier(i: int) -> None:
        therapy.apply_zapier_booking(ZapierBooking.model_validate(_zapier_body(user_id, f"z{i}")))

    rows.append(["applied booking: ledger transaction (Zapier path)", _counted(zapier, BOOKINGS), "", ""])

    def notification(booking_id: int) -> SimplybookNotification:
        return SimplybookNotification(
            booking_id=booking_id,
            booking_hash="ab",
            company="bench",
            notification_type="create",
            webhook_timestamp=int(time.time()),
        )

    therapy.apply_simplybook_notification(notification(1))  # signs in once: the token is cached from here on

    def callback(i: int) -> None:
        therapy.apply_simplybook_notification(notification(100 + i))

    rows.append(["applied booking: Simplybook path (token read + ledger)", _counted(callback, BOOKINGS), "", ""])

    deliver = registered()["simplybook_zapier_webhook_worker"].extra["deliver"]

    def worker(i: int) -> None:
        received = WebhookReceived(key=None, received_at=datetime.now(UTC), body=_zapier_body(user_id, f"w{i}"))
        data = received.model_dump_json(by_alias=True).encode()
        deliver(Delivery(event_id=str(uuid.uuid4()), message_id=str(i), data=data, attributes={}, published_at=None))

    rows.append(["applied booking: the whole worker (claim, ledger, outbox)", _counted(worker, BOOKINGS), "", ""])

    latencies: list[float] = []
    for i in range(BOOKINGS):
        code = f"lat{i}"
        started = time.perf_counter()
        response = requests.post(
            f"{stack.api}/webhooks/simplybook-zapier",
            json=_zapier_body(user_id, code),
            headers={"Authorization": f"Basic {ZAPIER_TOKEN}"},
            timeout=30,
        )
        if response.status_code != 202:
            raise RuntimeError(f"zapier webhook: {response.status_code} {response.text[:200]}")
        while BookingsRepository().get(ledger_key(code)) is None:
            if time.perf_counter() - started > 60:
                raise RuntimeError("the booking was never applied")
            time.sleep(0.01)
        latencies.append((time.perf_counter() - started) * 1000)
    rows.append(["webhook POST → applied (gateway, Pub/Sub push, worker)", "-", *_percentiles(latencies)])

    trips: set[str] = set()
    timings: list[float] = []
    for i in range(CANCELS):
        record = therapy.apply_simplybook_notification(notification(500 + i))
        assert record is not None
        started = time.perf_counter()
        response = requests.patch(
            f"{stack.api}/v1/therapy-session/{record.id}/cancel", headers=account.headers, timeout=30
        )
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"cancel: {response.status_code} {response.text[:200]}")
        trips.add(response.headers.get("X-Bloom-Firestore-Round-Trips", "?"))
    rows.append(["PATCH /v1/therapy-session/{id}/cancel", "/".join(sorted(trips)), *_percentiles(timings)])
    return rows


def therapy_section() -> None:
    fake = ThreadingHTTPServer(("127.0.0.1", 0), _FakeSimplybook)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    settings = {
        "SIMPLYBOOK_API_URL": f"http://127.0.0.1:{fake.server_address[1]}",
        "SIMPLYBOOK_COMPANY": "bench",
        "SIMPLYBOOK_LOGIN": "bench",
        "SIMPLYBOOK_PASSWORD": "bench",
        "SIMPLYBOOK_WEBHOOK_TOKEN": "bench-webhook-token",
        "ZAPIER_TOKEN": ZAPIER_TOKEN,
    }
    try:
        with tempfile.TemporaryDirectory() as work_dir:
            process, stack = start_stack(Path(work_dir), settings)
            try:
                os.environ.update({**stack.env, **settings})
                rows = _measure(stack)
            finally:
                stop_stack(process)
    finally:
        fake.shutdown()
    print_table(
        f"Therapy bookings on the local stack ({BOOKINGS} bookings, {CANCELS} cancels, sequential)",
        ["figure", "firestore round trips", "p50 ms", "p95 ms"],
        rows,
        [
            "goal: an applied booking's ledger transaction ≤ 4 round trips",
            "  a first create: begin + the user's accesses read + commit (with the ledger record's create)",
            "  + marking its events published; a later delivery reads the record too (+1)",
            "the whole worker adds the toolkit's event-id claim (3) and its outcome (1) to the ledger's figure",
        ],
    )
