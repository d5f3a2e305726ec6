"""Care notices for tests: a user's inbox as the client sees it, Bloom users for service-level tests, and scheduled
jobs fired the way the scheduler does, for a run meant for a given time (the job's clock: no waiting)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.events import outcome
from tests.support.practice import Therapist, patient, practice_admin, therapist
from tests.support.scheduling import availability, book, hold, request
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


@dataclass(frozen=True)
class Practice:
    """A therapist with bookable time (every hour, every day: `scheduling.availability()`) and two patients."""

    therapist: Therapist
    patient: AuthAccount
    other: AuthAccount


def practice_with_time(stack: RunningStack, auth: AuthEmulator) -> Practice:
    dr = therapist(stack, auth, practice_admin(auth), "dr.notices@example.com")
    put = request(stack, "PUT", f"therapists/{dr.profile_id}/availability", dr.account, availability())
    assert put.ok, put.text
    return Practice(dr, patient(auth, "pat.notices@example.com"), patient(auth, "other.notices@example.com"))


def booked(stack: RunningStack, practice: Practice, account: AuthAccount, start: str) -> dict[str, Any]:
    """An appointment `account` holds and books at `start` (an ISO slot start)."""
    held = hold(stack, account, practice.therapist.profile_id, start)
    assert held.status_code == 201, held.text
    made = book(stack, account, held.json()["id"])
    assert made.status_code == 201, made.text
    appointment: dict[str, Any] = made.json()
    return appointment
