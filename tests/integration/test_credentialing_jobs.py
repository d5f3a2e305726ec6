"""The daily credentialing job against the emulators, fired through Pub/Sub as the scheduler does, with the clock
set by the run (`scheduledAt`): expiry notices at 60, 30 and 7 days and follow-ups, each once however often the job
fires; approvals past their expiry marked expired; fixed wording only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bloom.credentialing.repository import ApplicationsRepository
from infra.stack_runner import RunningStack
from tests.support.credentialing import seed_application, seed_document
from tests.support.notices import assert_no_clinical_text, fire_job, inbox

JOB = "credentialing_daily"
DAY = date(2030, 3, 1)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 7, 0, tzinfo=UTC)


def after(days: int) -> date:
    return DAY + timedelta(days=days)


def test_a_document_gets_each_expiry_notice_once(stack: RunningStack) -> None:
    seed_document("lic", "dr", "license", after(45))
    seed_document("far", "dr", "cv", after(200))
    seed_document("never", "dr", "npi", None)
    for _ in range(2):  # however often the job fires on a day
        fire_job(JOB, at(DAY))
    assert sorted(inbox("dr")) == [f"credential-expiring-60d-lic-{after(45)}"]
    fire_job(JOB, at(after(1)))  # still within 60 days: nothing new
    assert len(inbox("dr")) == 1
    for day in (after(15), after(15), after(38), after(45), after(46)):
        fire_job(JOB, at(day))
    notices = inbox("dr")
    assert sorted(notices) == [f"credential-expiring-{days}d-lic-{after(45)}" for days in (30, 60, 7)]
    assert notices[f"credential-expiring-7d-lic-{after(45)}"].body == (
        "Your licence on file expires within 7 days. Add the renewed document before then."
    )
    for notice in notices.values():
        assert notice.kind == "credential_expiring" and notice.link == "/credentialing/documents/lic"
        assert_no_clinical_text(notice)


def test_a_document_filed_late_gets_only_the_notice_it_is_within(stack: RunningStack) -> None:
    seed_document("ins", "dr", "malpractice_insurance", after(20))
    fire_job(JOB, at(DAY))
    assert sorted(inbox("dr")) == [f"credential-expiring-30d-ins-{after(20)}"]


def test_a_follow_up_is_sent_on_its_day_once(stack: RunningStack) -> None:
    seed_application("app", "dr", "submitted", follow_up_on=after(2))
    seed_application("done", "dr", "denied", follow_up_on=after(2))
    fire_job(JOB, at(after(1)))
    assert inbox("dr") == {}
    for day in (after(2), after(2), after(3)):
        fire_job(JOB, at(day))
    notices = inbox("dr")
    assert sorted(notices) == [f"credentialing-follow-up-app-{after(2)}"]
    follow_up = notices[f"credentialing-follow-up-app-{after(2)}"]
    assert (follow_up.kind, follow_up.link) == ("credentialing_follow_up", "/credentialing/applications/app")
    assert_no_clinical_text(follow_up)


def test_an_approval_is_warned_of_then_expires(stack: RunningStack) -> None:
    seed_application("ok", "dr", "approved", expires_on=after(10))
    seed_application("pending", "dr", "in_review", expires_on=after(10))  # not approved: no approval to expire
    fire_job(JOB, at(DAY))
    assert sorted(inbox("dr")) == [f"approval-expiring-30d-ok-{after(10)}"]
    fire_job(JOB, at(after(10)))  # its last day: still approved
    stored = ApplicationsRepository().get("ok")
    assert stored is not None and stored.status == "approved"
    fire_job(JOB, at(after(11)))
    expired = ApplicationsRepository().get("ok")
    assert expired is not None and expired.status == "expired"
    assert [(h.by, h.from_status, h.to_status) for h in expired.history] == [("system", "approved", "expired")]
    pending = ApplicationsRepository().get("pending")
    assert pending is not None and pending.status == "in_review"
    notices = inbox("dr")
    assert sorted(notices) == [f"approval-expiring-{days}d-ok-{after(10)}" for days in (30, 7)]
    for notice in notices.values():
        assert (notice.kind, notice.link) == ("approval_expiring", "/credentialing/applications/ok")
        assert_no_clinical_text(notice)
