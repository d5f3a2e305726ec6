"""The booking ledger against the real emulators: every delivery order, duplicates and concurrent deliveries
leave the access counters exact and the ledger consistent; completion and erasure."""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bloom.core.errors import Conflict
from bloom.core.time import utcnow
from bloom.partners.models import PartnerAccessRecord, PartnerRecord
from bloom.partners.repository import PartnerAccessesRepository, PartnersRepository
from bloom.therapy import service as therapy
from bloom.therapy.models import Operation, TherapyBookingRecord, ledger_key
from bloom.therapy.repository import BookingsRepository
from bloom.therapy.schemas import Booking
from bloom.users.repository import UsersRepository
from bloom.users.schemas import UserRecord
from infra.stack_runner import RunningStack

SESSIONS = 6
START = datetime(2031, 3, 1, 10, 0, tzinfo=utcnow().tzinfo)


def given_user_with_access(remaining: int = SESSIONS, *, therapy_on: bool = True) -> tuple[str, str]:
    """A Bloom user holding one access with `remaining` therapy sessions: (user id, access id)."""
    now = utcnow()
    partner = PartnerRecord(
        id=str(uuid.uuid4()), name="Ledger Partner", name_key="ledger partner", created_at=now, updated_at=now
    )
    PartnersRepository().save(partner.id, partner)
    user_id, access_id = str(uuid.uuid4()), str(uuid.uuid4())
    UsersRepository().save(
        f"uid-{user_id}", UserRecord(id=user_id, email=f"{user_id}@example.com", partner_access_ids=[access_id])
    )
    access = PartnerAccessRecord(
        id=access_id,
        partner_id=partner.id,
        user_id=user_id,
        feature_live_chat=True,
        feature_therapy=therapy_on,
        therapy_sessions_remaining=remaining,
        therapy_sessions_redeemed=0,
        created_at=now,
        updated_at=now,
    )
    PartnerAccessesRepository().save(access_id, access)
    return user_id, access_id


def booking(user_id: str | None, code: str = "abc123", *, shift_h: int = 0, email: str | None = None) -> Booking:
    start = START + timedelta(hours=shift_h)
    return Booking(
        code=code,
        user_id=user_id,
        client_email=email,
        service_name="Therapy",
        service_provider_name="Dr Example",
        start_date_time=start,
        end_date_time=start + timedelta(hours=1),
    )


def counters(access_id: str) -> tuple[int, int]:
    access = PartnerAccessesRepository().get(access_id)
    assert access is not None
    return access.therapy_sessions_remaining, access.therapy_sessions_redeemed


def ledger(code: str = "abc123") -> TherapyBookingRecord | None:
    return BookingsRepository().get(ledger_key(code))


def expected_counters(operations: list[Operation]) -> tuple[int, int]:
    """A booking is charged if anything but a cancel reached us first; it is refunded if it was charged and a
    cancel came at any point after that. Either way, net: charged and not cancelled → one session used."""
    charged = bool(operations) and operations[0] != "cancel"
    used = charged and "cancel" not in operations
    return (SESSIONS - 1, 1) if used else (SESSIONS, 0)


def assert_consistent(access_id: str, operations: list[Operation]) -> None:
    record = ledger()
    assert record is not None
    assert counters(access_id) == expected_counters(operations)
    if "cancel" in operations:
        assert record.cancelled_at is not None
    if record.charged_at is None:
        assert record.refunded_at is None
    assert (record.refunded_at is not None) == (record.charged_at is not None and record.cancelled_at is not None)


ORDERS = [list(order) for order in itertools.permutations(["book", "change", "cancel"])]


@pytest.mark.parametrize("order", ORDERS, ids="-".join)
def test_every_delivery_order_with_duplicates_keeps_counters_exact(stack: RunningStack, order: list[Operation]) -> None:
    user_id, access_id = given_user_with_access()
    for operation in order:
        for _ in range(2):  # each delivered twice
            therapy.apply_booking(operation, booking(user_id, shift_h=1 if operation == "change" else 0))
    assert_consistent(access_id, order)


def at_once(*work: Callable[[], object]) -> None:
    barrier = threading.Barrier(len(work))
    failures: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        barrier.wait()
        try:
            job()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def test_two_creates_at_once_charge_once(stack: RunningStack) -> None:
    user_id, access_id = given_user_with_access()
    at_once(*(lambda: therapy.apply_booking("book", booking(user_id)) for _ in range(3)))
    assert counters(access_id) == (SESSIONS - 1, 1)


def test_two_cancels_at_once_refund_once(stack: RunningStack) -> None:
    user_id, access_id = given_user_with_access()
    therapy.apply_booking("book", booking(user_id))
    at_once(*(lambda: therapy.apply_booking("cancel", booking(user_id)) for _ in range(3)))
    assert counters(access_id) == (SESSIONS, 0)
    assert_consistent(access_id, ["book", "cancel"])


def test_create_and_cancel_at_once_end_with_nothing_used(stack: RunningStack) -> None:
    user_id, access_id = given_user_with_access()
    at_once(
        lambda: therapy.apply_booking("book", booking(user_id)),
        lambda: therapy.apply_booking("cancel", booking(user_id)),
    )
    assert counters(access_id) == (SESSIONS, 0)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["book", "change", "cancel", "complete"]), min_size=1, max_size=6))
def test_any_sequence_of_deliveries_keeps_the_ledger_consistent(
    stack: RunningStack, operations: list[Operation]
) -> None:
    stack.reset()
    user_id, access_id = given_user_with_access()
    for index, operation in enumerate(operations):
        therapy.apply_booking(operation, booking(user_id, shift_h=index if operation == "change" else 0))
    record = ledger()
    assert record is not None
    charged = operations[0] != "cancel"  # a booking first seen through its cancel is never charged
    cancelled_after_charge = charged and "cancel" in operations
    assert counters(access_id) == ((SESSIONS, 0) if not charged or cancelled_after_charge else (SESSIONS - 1, 1))
    assert (record.charged_at is not None) == charged
    assert (record.refunded_at is not None) == cancelled_after_charge


def test_no_eligible_access_is_recorded_as_rejected_without_charge(stack: RunningStack) -> None:
    user_id, access_id = given_user_with_access(remaining=0)
    record = therapy.apply_booking("book", booking(user_id))
    assert record is not None and record.outcome == "rejected" and record.charged_at is None
    assert counters(access_id) == (0, 0)


def test_unknown_user_is_recorded_as_unmatched(stack: RunningStack) -> None:
    record = therapy.apply_booking("book", booking("no-such-user"))
    assert record is not None and record.outcome == "unmatched" and record.user_id is None


def test_user_matched_by_email_when_the_booking_names_nobody(stack: RunningStack) -> None:
    user_id, access_id = given_user_with_access()
    record = therapy.apply_booking("book", booking(None, email=f"  {user_id.upper()}@EXAMPLE.com "))
    assert record is not None and record.user_id == user_id and record.outcome == "booked"
    assert counters(access_id) == (SESSIONS - 1, 1)


def test_the_oldest_eligible_access_is_charged(stack: RunningStack) -> None:
    user_id, first_access = given_user_with_access(remaining=1)
    later = PartnerAccessesRepository().get(first_access)
    assert later is not None
    second_id = str(uuid.uuid4())
    PartnerAccessesRepository().save(
        second_id,
        later.model_copy(
            update={"id": second_id, "created_at": later.created_at + timedelta(days=1), "access_code": None}
        ),
    )
    therapy.apply_booking("book", booking(user_id, code="first"))
    therapy.apply_booking("book", booking(user_id, code="second"))
    assert counters(first_access) == (0, 1)
    assert counters(second_id) == (0, 1)


def test_completion_job_completes_ended_sessions_once(stack: RunningStack) -> None:
    user_id, _ = given_user_with_access()
    past = Booking(
        code="past",
        user_id=user_id,
        start_date_time=utcnow() - timedelta(hours=3),
        end_date_time=utcnow() - timedelta(hours=2),
    )
    therapy.apply_booking("book", past)
    therapy.apply_booking("book", booking(user_id, code="future"))
    cancelled = past.model_copy(update={"code": "gone"})
    therapy.apply_booking("book", cancelled)
    therapy.apply_booking("cancel", cancelled)
    assert therapy.complete_ended_sessions() == 1
    assert therapy.complete_ended_sessions() == 0
    done = ledger("past")
    assert done is not None and done.completed_at == past.end_date_time and done.action == "COMPLETED_BOOKING"
    assert (ledger("future") or done).completed_at is None
    assert (ledger("gone") or done).completed_at is None


def test_erasure_keeps_the_counters_history_without_the_person(stack: RunningStack) -> None:
    user_id, access_id = given_user_with_access()
    therapy.apply_booking(
        "book", booking(user_id, email=f"{user_id}@example.com").model_copy(update={"client_timezone": "Europe/London"})
    )
    assert therapy.erase_user_sessions(user_id) == 1
    assert therapy.erase_user_sessions(user_id) == 0
    record = ledger()
    assert record is not None
    assert (record.user_id, record.client_email, record.client_timezone) == (None, None, None)
    assert (record.partner_access_id, record.charged_at is not None) == (access_id, True)


@pytest.mark.parametrize("round_", range(3))
def test_a_user_cancel_racing_the_cancel_webhook_refunds_once(stack: RunningStack, round_: int) -> None:
    user_id, access_id = given_user_with_access()
    record = therapy.apply_booking("book", booking(user_id))
    assert record is not None and counters(access_id) == (SESSIONS - 1, 1)
    user = UserRecord(id=user_id, email=f"{user_id}@example.com")
    outcomes: list[str] = []

    def by_user() -> None:
        try:
            therapy.cancel_session(user, record.id)
            outcomes.append("user")
        except Conflict:  # the webhook's cancel won: THERAPY_SESSION_ALREADY_CANCELLED
            outcomes.append("409")

    def by_webhook() -> None:
        therapy.apply_booking("cancel", booking(user_id))

    at_once(by_user, by_webhook)
    assert counters(access_id) == (SESSIONS, 0), outcomes
    cancelled = ledger()
    assert cancelled is not None and cancelled.refunded_at is not None
