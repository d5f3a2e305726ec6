"""The billing part of `make bench`, on a real local stack with Stripe as a local fake HTTP server: Firestore round
trips (`X-Bloom-Firestore-Round-Trips`) and client-side latency of each billing route (a patient's first payment
intent, which issues the invoice unless the booking's subscriber did and creates the intent at Stripe; the same
call again, which retrieves it; the invoice list and one invoice), and invoice issue under concurrency: 8 and 32
appointments issued at the same moment, every issue contending on the practice's counter (latency, and whether the
numbers stayed gap-free). Nothing is asserted; the goals are printed under the table."""

from __future__ import annotations

import itertools
import json
import statistics
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from infra.bench_report import on_stack, print_table, run_alone
from infra.bench_scheduling import AVAILABILITY, THERAPIST, call, people, row, slot
from infra.stack_runner import RunningStack

CALLS = 30  # sequential calls per figure: one booked appointment per patient (payment intents: 30/min per user)
CONTENTION = (8, 32)
ROUNDS = 3  # bursts per size, each of fresh appointments


class _FakeStripe(BaseHTTPRequestHandler):
    """PaymentIntents as Stripe's v1 API creates and retrieves them (form in, JSON out), kept in memory."""

    intents: dict[str, dict[str, Any]] = {}  # by intent id, for every handler instance
    numbers = itertools.count(1)

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_POST(self) -> None:
        form = dict(parse_qsl(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()))
        if self.path != "/v1/payment_intents":
            self._answer(404, {"error": {"type": "invalid_request_error", "message": "unknown path"}})
            return
        intent_id = f"pi_bench_{next(self.numbers)}"
        self.intents[intent_id] = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": int(form["amount"]),
            "currency": form["currency"],
            "status": "requires_payment_method",
            "client_secret": f"{intent_id}_secret_bench",
        }
        self._answer(200, self.intents[intent_id])

    def do_GET(self) -> None:
        intent = self.intents.get(self.path.removeprefix("/v1/payment_intents/"))
        if intent is None:
            self._answer(404, {"error": {"type": "invalid_request_error", "message": "no such intent"}})
        else:
            self._answer(200, intent)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the bench prints its table only."""


def _percentiles(latencies: list[float]) -> list[str]:
    ordered = sorted(latencies)
    return [f"{statistics.median(ordered):.1f}", f"{ordered[max(int(len(ordered) * 0.95) - 1, 0)]:.1f}"]


def _burst(template_id: str, size: int) -> tuple[list[float], float]:
    """`size` copies of a booked appointment (written directly: setup, no events), then each one's invoice issued
    on its own thread, all released together: (each issue's latency in ms, the whole burst's wall time in ms)."""
    from bloom.billing import invoices
    from bloom.scheduling.repository import AppointmentsRepository

    appointments = AppointmentsRepository()
    template = appointments.get(template_id)
    assert template is not None
    ids = [f"bench-burst-{uuid.uuid4().hex}" for _ in range(size)]
    for appointment_id in ids:
        appointments.save(appointment_id, template.model_copy(update={"id": appointment_id}))
    barrier = threading.Barrier(size + 1)
    latencies: list[float] = []
    lock = threading.Lock()

    def issue(appointment_id: str) -> None:
        barrier.wait()
        started = time.perf_counter()
        invoices.issue_invoice(appointment_id)
        with lock:
            latencies.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=issue, args=(appointment_id,)) for appointment_id in ids]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return latencies, (time.perf_counter() - started) * 1000


def _gap_free() -> bool:
    """Whether the issued invoices' numbers are exactly 1…n (read after every burst)."""
    from bloom.billing.repository import InvoicesRepository

    numbers = sorted(record.number for _, record in InvoicesRepository().select())
    return numbers == list(range(1, len(numbers) + 1))


def _measure(stack: RunningStack) -> list[list[str]]:
    therapist, patients = people(stack, CALLS)
    call(stack, "PUT", f"therapists/{THERAPIST}/availability", therapist, AVAILABILITY)
    booked = []
    for n, patient in enumerate(patients):
        held, _, _ = call(stack, "POST", "holds", patient, {"therapistId": THERAPIST, "start": slot(n)})
        booked.append(call(stack, "POST", "appointments", patient, {"holdId": held["id"]})[0]["id"])

    def intents() -> list[tuple[Any, str, float]]:
        return [call(stack, "POST", f"appointments/{booked[n]}/payment-intent", p, {}) for n, p in enumerate(patients)]

    rows = [
        row("POST appointments/:id/payment-intent, first", intents()),
        row("POST appointments/:id/payment-intent, again", intents()),
        row("GET invoices (a patient: their own)", [call(stack, "GET", "invoices", p) for p in patients]),
        row("GET invoices (the therapist: all 30)", [call(stack, "GET", "invoices", therapist) for _ in booked]),
        row("GET invoices/:id", [call(stack, "GET", f"invoices/{booked[n]}", p) for n, p in enumerate(patients)]),
    ]
    for size in CONTENTION:
        bursts = [_burst(booked[0], size) for _ in range(ROUNDS)]
        latencies = [latency for burst, _ in bursts for latency in burst]
        walls = "/".join(f"{wall:.0f}" for _, wall in bursts)
        label = f"{size} invoices issued at once: burst {walls} ms, numbers gap-free: {_gap_free()}"
        rows.append([label, "-", *_percentiles(latencies)])
    return rows


def billing_section() -> None:
    fake = ThreadingHTTPServer(("127.0.0.1", 0), _FakeStripe)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    try:
        api_base = f"http://127.0.0.1:{fake.server_address[1]}"
        rows = on_stack(_measure, {"STRIPE_API_BASE": api_base, "STRIPE_SECRET_KEY": "sk_test_bench"})
    finally:
        fake.shutdown()
    print_table(
        f"Billing on the local stack ({CALLS} calls each, sequential; issue bursts: {ROUNDS} per size, in-process)",
        ["figure", "firestore round trips", "p50 ms", "p95 ms"],
        rows,
        [
            "round trips: a first intent is the user, the appointment, the invoice (+2 when the booking's subscriber",
            "  has not issued it yet: the invoice and counter in one read, one conditional commit), then a",
            "  transaction keeping the intent's id on the invoice (read, commit); a repeat reads the user, the",
            "  appointment and the invoice, retrieves the intent from Stripe and writes nothing; a list is the user",
            "  and one query; an invoice the user, its read and its payments' query",
            "bursts: every issue of the practice advances one counter without locks (`run_optimistically`), so a",
            "  lost race reads again after a jittered pause: latency grows with the burst, numbers stay gap-free",
        ],
    )


if __name__ == "__main__":  # this section alone: `python -m infra.bench_billing`
    run_alone(billing_section)
