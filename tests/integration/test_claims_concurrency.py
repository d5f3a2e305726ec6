"""Claims' use cases under concurrency, on the emulators with the Optum fake: one claim per appointment however many
drafts race (the id is derived from the appointment and created in a transaction), and one submission to Optum
however many submits race (a submission lease on the claim)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from pytest_httpserver import HTTPServer

from bloom.claims import service as claims
from bloom.claims.repository import ClaimsWork
from bloom.claims.schemas import CreateClaim, InsuranceBody, Subscriber
from bloom.core.errors import BloomError
from bloom.scheduling import appointments, availability, holds
from bloom.scheduling import service as scheduling
from bloom.scheduling.schemas import AvailabilityBody, CreateAppointment, CreateHold
from infra.stack_runner import RunningStack
from tests.support.optum_fake import COVERED_MEMBER, RENDERING_NPI, Optum
from tests.support.scheduling import availability as availability_body
from tests.support.scheduling import patient_caller, therapist_caller

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
DR = therapist_caller("dr-user", "dr")
PAT = patient_caller("pat")
T = TypeVar("T")


def completed_appointment() -> str:
    body = AvailabilityBody.model_validate(availability_body(price={"amount": 12000, "currency": "USD"}))
    availability.put_availability(DR, "dr", body, now=NOW)
    held = holds.create_hold(PAT, CreateHold(therapist_id="dr", start=NOW + timedelta(hours=2)), now=NOW)
    booked = appointments.book(PAT, CreateAppointment(hold_id=held.id), now=NOW)
    scheduling.settle_attendance(booked.id, therapist_seen=True, patient_seen=True)
    subscriber = Subscriber(first_name="Ada", last_name="Lovelace", date_of_birth=date(1990, 2, 3))
    insurance = InsuranceBody(payer_id="UHC", member_id=COVERED_MEMBER, subscriber=subscriber, relationship="self")
    claims.put_insurance(PAT, insurance)
    return booked.id


def race(n: int, work: Callable[[], T]) -> list[T | str]:
    """Run `work` in `n` threads at once: each result, or the message of the error it raised."""
    barrier = threading.Barrier(n)
    results: list[T | str] = []

    def one() -> None:
        barrier.wait()
        try:
            results.append(work())
        except BloomError as exc:
            results.append(str(exc.message))

    threads = [threading.Thread(target=one) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_racing_drafts_make_one_claim(stack: RunningStack) -> None:
    appointment_id = completed_appointment()
    body = CreateClaim(appointment_id=appointment_id, diagnosis_codes=["F43.10"], procedure_code="90837")
    body = body.model_copy(update={"rendering_npi": RENDERING_NPI})
    results = race(6, lambda: claims.create_claim(DR, body, now=NOW))
    assert len({result.id for result in results if not isinstance(result, str)}) == 1, results
    with ClaimsWork() as uow:
        stored = uow.claims.of_therapist("dr")
    assert [(claim.id, len(claim.history)) for claim in stored] == [(f"claim-{appointment_id}", 1)]


def test_racing_submits_send_one_claim(stack: RunningStack, httpserver: HTTPServer) -> None:
    optum = Optum().install(httpserver)
    appointment_id = completed_appointment()
    body = CreateClaim(appointment_id=appointment_id, diagnosis_codes=["F43.10"], procedure_code="90837")
    claim = claims.create_claim(DR, body.model_copy(update={"rendering_npi": RENDERING_NPI}), now=NOW)
    results = race(4, lambda: claims.submit_claim(DR, claim.id).status)
    assert results.count("submitted") == 1, results
    assert set(results) - {"submitted"} <= {"CLAIM_SUBMISSION_IN_PROGRESS", "CLAIM_NOT_DRAFT"}, results
    assert optum.count("/medicalnetwork/professionalclaims") == 1
    assert [entry.status for entry in claims.get_claim(DR, claim.id).history] == ["draft", "submitted"]
