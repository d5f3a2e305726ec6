"""Reporting counters on the emulators: a scripted month of activity, its events delivered twice and out of
order, equals a recount of the script; the backfill from the stored records produces the same numbers."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel

from bloom.content.events import PROGRESS_CHANGED, ProgressChanged
from bloom.content.models import ResourceUserRecord, SessionUserRecord
from bloom.content.repository import ResourceUsersRepository, SessionUsersRepository
from bloom.feedback.events import EVENT_LOG_RECORDED, FEEDBACK_SUBMITTED, EventLogRecorded, FeedbackSubmitted
from bloom.feedback.models import EventLogRecord, FeedbackRecord
from bloom.feedback.repository import EventLogRepository, SessionFeedbackRepository
from bloom.feedback.schemas import EventName
from bloom.partners.events import (
    PARTNER_ACCESS_ACTIVATED,
    PARTNER_ACCESS_GRANTED,
    PartnerAccessActivated,
    PartnerAccessGranted,
)
from bloom.partners.models import PartnerAccessRecord
from bloom.partners.repository import PartnerAccessesRepository
from bloom.platform.events import Delivery, Event, handle_delivery
from bloom.platform.topics import Topic
from bloom.reporting import service as reporting
from bloom.reporting.backfill import Progress, backfill
from bloom.reporting.models import days, local_day
from bloom.users.events import USER_CREATED, UserCreated
from bloom.users.repository import UsersRepository
from bloom.users.schemas import UserRecord
from infra.stack_runner import RunningStack
from tests.support.progress import key, publish

MARCH = date(2026, 3, 1)
LONDON = "Europe/London"
Sent = list[tuple[Topic[Any], BaseModel]]


def moment(rng: random.Random, day: int) -> datetime:
    """A time on March `day` (UTC), often near midnight, where the London day differs in summer time."""
    hour = rng.choice([0, 9, 13, 23])
    return datetime(2026, 3, day, hour, rng.choice([5, 30, 55]), tzinfo=UTC)


def script_month(seed: int = 7) -> tuple[Sent, Counter[tuple[date, str]]]:
    """Store a month of records and return the events they recorded and the expected (day, metric) counts."""
    rng = random.Random(seed)
    sent: Sent = []
    expected: Counter[tuple[date, str]] = Counter()
    publish(3001, key("resource", 1), "resource_short_video", "Resource 1")

    def count(when: datetime, metric: str) -> None:
        expected[(local_day(when, LONDON), metric)] += 1

    for n in range(40):
        day = rng.randint(1, 31)
        created = moment(rng, day)
        user_id = f"user-{n}"
        partner = rng.choice([[], ["partner-a"], ["partner-b"]])
        language = rng.choice(["en", "es", None])
        UsersRepository().save(
            f"uid-{n}",
            UserRecord(
                id=user_id,
                email=f"u{n}@example.com",
                created_at=created,
                partner_ids=partner,
                sign_up_language=language,
            ),
        )
        sent.append(
            (
                USER_CREATED,
                UserCreated(
                    user_id=user_id, partner_ids=partner, sign_up_language=language, created_at=created.isoformat()
                ),
            )
        )
        count(created, "newUsers")
        if partner:
            count(created, "newPartnerUsers")
            access = PartnerAccessRecord(
                id=f"access-{n}",
                partner_id=partner[0],
                user_id=user_id,
                feature_live_chat=True,
                feature_therapy=False,
                therapy_sessions_remaining=0,
                therapy_sessions_redeemed=0,
                activated_at=created,
                created_at=created - timedelta(hours=2),
                updated_at=created,
            )
            PartnerAccessesRepository().save(access.id, access)
            sent.append(
                (
                    PARTNER_ACCESS_GRANTED,
                    PartnerAccessGranted(
                        access_id=access.id, partner_id=access.partner_id, created_at=access.created_at.isoformat()
                    ),
                )
            )
            sent.append(
                (
                    PARTNER_ACCESS_ACTIVATED,
                    PartnerAccessActivated(
                        access_id=access.id,
                        partner_id=access.partner_id,
                        user_id=user_id,
                        activated_at=created.isoformat(),
                    ),
                )
            )
            count(access.created_at, "partnerAccessGrants")
            count(created, "partnerAccessActivations")
        if rng.random() < 0.7:
            started = created + timedelta(hours=rng.randint(0, 30))
            session = SessionUserRecord(
                user_id=user_id,
                session_uuid=key("session", 101),
                course_uuid=key("course", 1),
                created_at=started,
                updated_at=started,
            )
            changes: list[tuple[Literal["started", "completed"], datetime]] = [("started", started)]
            if rng.random() < 0.5:
                done = started + timedelta(hours=rng.randint(1, 50))
                session = session.model_copy(update={"completed": True, "completed_at": done})
                changes.append(("completed", done))
            SessionUsersRepository().save(f"{user_id}_{key('session', 101)}", session)
            for transition, when in changes:
                sent.append(
                    (
                        PROGRESS_CHANGED,
                        ProgressChanged(
                            user_id=user_id,
                            kind="session",
                            transition=transition,
                            item_id=key("session", 101),
                            course_id=key("course", 1),
                            occurred_at=when.isoformat(),
                        ),
                    )
                )
                count(when, f"sessions{transition.capitalize()}")
        if rng.random() < 0.4:
            started = created + timedelta(minutes=rng.randint(1, 3000))
            ResourceUsersRepository().save(
                f"{user_id}_{key('resource', 1)}",
                ResourceUserRecord(
                    user_id=user_id, resource_uuid=key("resource", 1), created_at=started, updated_at=started
                ),
            )
            sent.append(
                (
                    PROGRESS_CHANGED,
                    ProgressChanged(
                        user_id=user_id,
                        kind="resource",
                        transition="started",
                        item_id=key("resource", 1),
                        resource_category="short_video",
                        occurred_at=started.isoformat(),
                    ),
                )
            )
            count(started, "resourcesStarted")
        if rng.random() < 0.3:
            when = created + timedelta(hours=rng.randint(1, 20))
            record = FeedbackRecord(
                id=f"fb-{n}",
                kind="session",
                user_id=user_id,
                item_id="s-1",
                item_uuid=key("session", 101),
                feedback_tags=["useful", "too long"],
                feedback_description="",
                created_at=when,
                updated_at=when,
            )
            SessionFeedbackRepository().save(record.id, record)
            sent.append(
                (
                    FEEDBACK_SUBMITTED,
                    FeedbackSubmitted(
                        feedback_id=record.id,
                        kind="session",
                        item_id="s-1",
                        item_name="Session",
                        tags=["useful", "too long"],
                        submitted_at=when.isoformat(),
                    ),
                )
            )
            count(when, "sessionFeedbackSubmitted")
        for m in range(rng.randint(0, 3)):
            when = created + timedelta(minutes=17 * (m + 1))
            event: EventName = rng.choice(["CHAT_MESSAGE_SENT", "CHAT_MESSAGE_RECEIVED", "LOGGED_IN"])
            EventLogRepository().save(
                f"log-{n}-{m}",
                EventLogRecord(
                    id=f"log-{n}-{m}", user_id=user_id, event=event, date=when, created_at=when, updated_at=when
                ),
            )
            sent.append(
                (EVENT_LOG_RECORDED, EventLogRecorded(user_id=user_id, event=event, occurred_at=when.isoformat()))
            )
            if event != "LOGGED_IN":
                count(when, "chatMessagesSent" if event == "CHAT_MESSAGE_SENT" else "chatMessagesReceived")
    return sent, expected


def deliver_twice_out_of_order(sent: Sent) -> None:
    deliveries = [(topic, payload, str(uuid.uuid4())) for topic, payload in sent]
    twice = deliveries * 2
    random.Random(3).shuffle(twice)

    def count(event: Event[Any]) -> None:
        reporting.count_event(event.topic, event.payload, event.id, event.published_at)

    for topic, payload, event_id in twice:
        data = payload.model_dump_json().encode()
        delivery = Delivery(event_id=event_id, message_id=event_id, data=data, attributes={}, published_at=None)
        handle_delivery(f"count_{topic.name}", topic.name, topic.payload, count, delivery)
    # the toolkit's dedupe record lost (a crash after counting): the claim in the counters' transaction holds
    topic, payload, event_id = deliveries[0]
    assert reporting.count_event(topic.name, payload, event_id) is False


def snapshot() -> dict[str, Any]:
    """Every day's and the month's counted metrics and breakdowns (activeUsers is not a counter)."""
    taken: dict[str, Any] = {}
    for day in days(MARCH, date(2026, 4, 1)):
        metrics, breakdowns, failed = reporting.compute("daily", day)
        assert failed == []
        taken[day.isoformat()] = ({k: v for k, v in metrics.items() if k != "activeUsers"}, breakdowns)
    metrics, breakdowns, _ = reporting.compute("monthly", MARCH)
    weekly = reporting.compute("weekly", date(2026, 3, 23))[0]
    taken["month"] = ({k: v for k, v in metrics.items() if k != "activeUsers"}, breakdowns)
    taken["week of the clock change"] = {k: v for k, v in weekly.items() if k != "activeUsers"}
    return taken


def test_counters_equal_a_recount_and_the_backfill_reproduces_them(stack: RunningStack) -> None:
    sent, expected = script_month()
    deliver_twice_out_of_order(sent)
    counted = snapshot()
    for (day, metric), value in expected.items():
        if day.month == 3:
            assert counted[day.isoformat()][0][metric] == value, (day, metric)
    in_march = Counter({metric: 0 for _, metric in expected})
    for (day, metric), value in expected.items():
        if day.month == 3:
            in_march[metric] += value
    month_metrics = counted["month"][0]
    assert {metric: month_metrics[metric] for metric in in_march} == dict(in_march)
    assert month_metrics["deletedUsers"] == 0 and month_metrics["therapyBookingsBooked"] == 0
    assert counted["month"][1]["feedbackByTag"] == {
        "useful": in_march["sessionFeedbackSubmitted"],
        "too long": in_march["sessionFeedbackSubmitted"],
    }

    steps: list[Progress] = []
    state = backfill(MARCH, steps.append)
    assert state.done and state.staged == len(sent)  # every record read back as the event it recorded
    assert steps[-1].stage == "write" and steps[-1].done == steps[-1].total
    assert snapshot() == counted
    # run again (after a counting fix, say): a new generation, the same numbers
    assert backfill(MARCH).generation == 1
    assert snapshot() == counted
