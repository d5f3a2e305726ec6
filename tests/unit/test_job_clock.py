"""The local stack's job clock fires scheduled jobs on their cron, in their own time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bloom.platform.registry import FunctionSpec
from infra.stack import JobClock, next_run


def job(name: str, cron: str, time_zone: str = "Etc/UTC") -> FunctionSpec:
    return FunctionSpec(
        name=name, module="m", kind="scheduled", entry=print, summary="", cron=cron, time_zone=time_zone
    )


START = datetime(2026, 11, 21, 10, 0, 30, tzinfo=UTC)


def test_each_job_fires_once_when_due_and_is_rescheduled() -> None:
    fired: list[str] = []
    clock = JobClock([job("every_minute", "* * * * *"), job("hourly", "0 * * * *")], fired.append, START)
    assert clock.tick(START + timedelta(seconds=20)) == []
    assert clock.tick(START + timedelta(seconds=30)) == ["every_minute"]
    assert clock.tick(START + timedelta(seconds=31)) == []
    assert clock.tick(START + timedelta(minutes=5)) == ["every_minute"]  # late: once, not five times
    assert clock.tick(START + timedelta(hours=1)) == ["every_minute", "hourly"]
    assert fired == ["every_minute", "every_minute", "every_minute", "hourly"]


def test_cron_is_read_in_the_jobs_time_zone() -> None:
    nine_in_london = job("morning", "0 9 * * *", "Europe/London")
    summer = datetime(2026, 7, 1, 0, 0, tzinfo=UTC)
    assert next_run(nine_in_london, summer) == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)  # BST
    assert next_run(nine_in_london, START) == datetime(2026, 11, 22, 9, 0, tzinfo=UTC)  # GMT


def test_a_job_that_cannot_be_fired_does_not_stop_the_clock() -> None:
    def unreachable(name: str) -> None:
        raise ConnectionError(name)

    clock = JobClock([job("a", "* * * * *")], unreachable, START)
    assert clock.tick(START + timedelta(minutes=1)) == []
    assert clock.next_runs["a"] > START + timedelta(minutes=1)
