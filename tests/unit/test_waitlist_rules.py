"""The waitlist's pure rules: who is first in line for a freed slot, when an offer is over; and the job clock the
waitlist and reminder jobs run on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bloom.core.time import utcnow
from bloom.platform.topics import ScheduledRun
from bloom.waitlist.models import EntryRecord, first_in_line
from bloom.waitlist.schemas import EntryStatus, JoinWaitlist, Offer

T = datetime(2030, 1, 7, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def entry(
    entry_id: str, *, joined: int, start: datetime = T, end: datetime = T + HOUR, status: EntryStatus = "waiting"
) -> EntryRecord:
    created = T - timedelta(days=1) + timedelta(minutes=joined)
    return EntryRecord(
        id=entry_id,
        therapist_id="dr",
        patient_id=f"p-{entry_id}",
        patient_uid=f"uid-{entry_id}",
        from_=start,
        to=end,
        status=status,
        offer=None,
        created_at=created,
        updated_at=created,
        delete_at=end + timedelta(days=90),
    )


def test_the_oldest_waiting_entry_whose_range_holds_the_slot_is_first() -> None:
    line = [
        entry("newer", joined=5),
        entry("oldest-but-offered", joined=0, status="offered"),
        entry("too-narrow", joined=1, end=T + timedelta(minutes=30)),
        entry("starts-later", joined=2, start=T + timedelta(minutes=10)),
        entry("older", joined=3, start=T - HOUR),
    ]
    first = first_in_line(line, T, T + timedelta(minutes=50))
    assert first is not None and first.id == "older"
    assert first_in_line(line, T + 2 * HOUR, T + 3 * HOUR) is None
    assert first_in_line([], T, T + HOUR) is None


def test_ties_go_the_same_way_for_every_reader() -> None:
    a, b = entry("a", joined=0), entry("b", joined=0)
    assert first_in_line([b, a], T, T + HOUR) == first_in_line([a, b], T, T + HOUR) == a


def test_an_offer_is_over_at_its_expiry() -> None:
    offer = Offer(hold_id="h", expires_at=T, start=T + HOUR, end=T + 2 * HOUR)
    offered = entry("x", joined=0).model_copy(update={"status": "offered", "offer": offer})
    assert not offered.offer_over(T - timedelta(seconds=1))
    assert offered.offer_over(T)
    assert not entry("y", joined=0).offer_over(T + HOUR)


def test_a_range_is_forward_and_bounded() -> None:
    assert JoinWaitlist.model_validate({"therapistId": "dr", "from": T, "to": T + HOUR}).from_ == T
    for to in (T, T - HOUR, T + timedelta(days=91)):
        with pytest.raises(ValueError):
            JoinWaitlist.model_validate({"therapistId": "dr", "from": T, "to": to})


def test_a_job_runs_as_of_its_scheduled_time_when_it_names_one_with_a_zone() -> None:
    assert ScheduledRun(job="j", scheduled_at=T.isoformat()).moment() == T
    for vague in (None, "", "2030-01-07T10:00:00", "not a time"):
        before = utcnow()
        assert ScheduledRun(job="j", scheduled_at=vague).moment() >= before
