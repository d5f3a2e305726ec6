"""The unread-reply email job on the local stack, with the job's clock (`ScheduledRun.scheduled_at`): a Mailchimp
member event per window however often the job fires, none once the reply is read, and never the message's text."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from bloom.core.time import utcnow
from bloom.livechat import service as livechat
from bloom.livechat.unread import UNREAD_EVENT
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.crm_fakes import Providers
from tests.support.notices import fire_job
from tests.support.users import make_user

JOB = "email_unread_chat_replies"
EMAIL = "unread-reader@example.com"
MEMBER = hashlib.md5(EMAIL.encode()).hexdigest()


@pytest.fixture
def user(stack: RunningStack, auth: AuthEmulator, providers: Providers) -> AuthAccount:
    providers.mailchimp[MEMBER] = {"email_address": EMAIL}
    return make_user(auth, EMAIL)


def events(providers: Providers) -> list[dict[str, object]]:
    return [body for member, body in providers.mailchimp_events if member == MEMBER]


def test_one_email_per_window_however_often_the_job_fires(user: AuthAccount, providers: Providers) -> None:
    uid = f"user-{user.uid}"
    t0 = utcnow()
    livechat.record_agent_reply(uid, front_message_id="m1", text="A private reply", attachments=[], at=t0)
    fire_job(JOB, t0 + timedelta(minutes=4))
    assert events(providers) == []
    for minutes in (5, 5, 6, 60, 124):  # the first window, fired again and again
        fire_job(JOB, t0 + timedelta(minutes=minutes))
    assert events(providers) == [{"name": UNREAD_EVENT}]  # the event's name only: no text
    fire_job(JOB, t0 + timedelta(hours=2, minutes=6))
    fire_job(JOB, t0 + timedelta(hours=2, minutes=7))
    assert len(events(providers)) == 2
    livechat.mark_read(uid, t0 + timedelta(hours=3))
    fire_job(JOB, t0 + timedelta(hours=5))
    assert len(events(providers)) == 2


def test_at_most_three_emails_for_a_reply_left_unread(user: AuthAccount, providers: Providers) -> None:
    uid = f"user-{user.uid}"
    t0 = utcnow()
    livechat.record_agent_reply(uid, front_message_id="m2", text="hello", attachments=[], at=t0)
    for hours in range(0, 12, 2):
        fire_job(JOB, t0 + timedelta(hours=hours, minutes=10))
    assert len(events(providers)) == 3


def test_a_member_gone_from_mailchimp_is_written_again_and_emailed(
    stack: RunningStack, auth: AuthEmulator, providers: Providers
) -> None:
    # no member in Mailchimp (archived or deleted there by the team, or never written): the event alone gets a 404
    account = make_user(auth, EMAIL)
    uid = f"user-{account.uid}"
    assert MEMBER not in providers.mailchimp
    t0 = utcnow()
    livechat.record_agent_reply(uid, front_message_id="m3", text="hello", attachments=[], at=t0)
    fire_job(JOB, t0 + timedelta(minutes=6))
    assert providers.mailchimp[MEMBER]["email_address"] == EMAIL
    assert events(providers) == [{"name": UNREAD_EVENT}]
