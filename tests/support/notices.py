"""Care notices for tests: a user's inbox as the client sees it, Bloom users for service-level tests, and scheduled
jobs fired the way the scheduler does, for a run meant for a given time (the job's clock: no waiting)."""

from __future__ import annotations

import uuid
from datetime import datetime

from bloom.core.time import utcnow
from bloom.notifications.models import NotificationRecord
from bloom.notifications.repository import NotificationsRepository
from bloom.platform.registry import job_topic_name
from bloom.platform.store.outbox import publish_message
from bloom.platform.topics import ScheduledRun
from bloom.practice.models import TherapistRecord
from bloom.practice.repository import TherapistsRepository
from bloom.users.repository import UsersRepository
from bloom.users.schemas import UserRecord
from tests.support.events import outcome
from tests.support.wait import eventually

CLINICAL_WORDS = ("note", "diagnos", "anxiety", "depress", "abuse", "trauma", "reason")


def inbox(uid: str) -> dict[str, NotificationRecord]:
    """The user's notifications by id, read as the server stores them."""
    return NotificationsRepository().of_owner(uid)


def assert_no_clinical_text(notification: NotificationRecord, *names: str) -> None:
    """Fixed wording only: none of the people's `names`, no clinical words."""
    text = f"{notification.title} {notification.body} {notification.link}".lower()
    assert not any(word.lower() in text for word in (*CLINICAL_WORDS, *names)), text


def seed_user(user_id: str) -> str:
    """A Bloom user with the public id `user_id`, stored at `uid-{user_id}` (as `scheduling.patient_caller`
    signs them in); returns that uid."""
    uid = f"uid-{user_id}"
    UsersRepository().save(uid, UserRecord(id=user_id, email=f"{user_id}@example.com"))
    return uid


def seed_therapist(profile_id: str, user_id: str) -> None:
    """The practice's profile of a therapist (what `practice.therapist_user_id_in` reads)."""
    now = utcnow()
    record = TherapistRecord(
        id=profile_id,
        user_id=user_id,
        auth_uid=f"uid-{user_id}",
        display_name="Dr Seed",
        created_at=now,
        updated_at=now,
    )
    TherapistsRepository().save(profile_id, record)


def fire_job(job: str, at: datetime) -> None:
    """Publish the job's run for `at` as Cloud Scheduler would, and wait until the function has run it."""
    event_id = str(uuid.uuid4())
    run = ScheduledRun(job=job, scheduled_at=at.isoformat())
    publish_message(job_topic_name(job), run.model_dump_json().encode(), {"event_id": event_id})
    eventually(lambda: outcome(job, event_id), lambda status: status == "done")
