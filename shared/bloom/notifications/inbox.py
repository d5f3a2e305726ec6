"""In-app notifications (a service module): the notices there are, and putting them in a user's inbox.

Each notice is composed here from fixed wording and ids: never clinical text, never the other party's name. A
notification has an id its sender derives from what it is about (`reminder-24h-{appointmentId}`,
`waitlist-offer-{holdId}`), created with `create`: however often a job fires or an event is delivered, each is
sent once. Recipients are named by their Firebase uid, the key the security rules check.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from bloom.core.time import utcnow
from bloom.notifications.models import NotificationRecord
from bloom.notifications.repository import NotificationsWork
from bloom.notifications.schemas import Notice
from bloom.platform.store.unit_of_work import DuplicateDocument, UnitOfWork
from bloom.users import service as users


def appointment_reminder(appointment_id: str, lead: timedelta) -> Notice:
    hours = int(lead.total_seconds() // 3600)
    when = "in 1 hour" if hours == 1 else f"in {hours} hours"
    return Notice(
        kind="appointment_reminder",
        title="Appointment reminder",
        body=f"Your therapy session starts {when}.",
        link=f"/appointments/{appointment_id}",
    )


def waitlist_offer(entry_id: str, hold_id: str, minutes: int) -> Notice:
    return Notice(
        kind="waitlist_offer",
        title="A session time is free",
        body=f"A time you were waiting for is held for you for {minutes} minutes. Book it before it passes on.",
        link=f"/waitlist/{entry_id}?holdId={hold_id}",
    )


def support_reply(ticket_id: str, number: int) -> Notice:
    return Notice(
        kind="support_reply",
        title="Support replied",
        body=f"There is a reply to your support ticket #{number}.",
        link=f"/support/tickets/{ticket_id}",
    )


def _record(notice: Notice) -> NotificationRecord:
    return NotificationRecord(**notice.model_dump(), created_at=utcnow())


def notify_in(uow: UnitOfWork, uid: str, notification_id: str, notice: Notice) -> None:
    """Put the notice in the inbox with the caller's other writes; the commit fails (DuplicateDocument) when
    a notification of this id was sent before."""
    NotificationsWork.join(uow).notifications.create_in(uid, notification_id, _record(notice))


def notify_once(uid: str, notification_id: str, notice: Notice) -> bool:
    """Send the notice unless a notification of this id was sent before; whether this call sent it."""
    try:
        with NotificationsWork() as uow:
            uow.notifications.create_in(uid, notification_id, _record(notice))
    except DuplicateDocument:
        return False
    return True


def inbox_uids(user_ids: Iterable[str]) -> dict[str, str]:
    """The Firebase uid (the key of the inbox) of each user id that names a user; the others are left out."""
    with NotificationsWork() as uow:
        found = {user_id: users.find_in(uow, user_id) for user_id in set(user_ids)}
    return {user_id: row[0] for user_id, row in found.items() if row is not None}


def notify_each_once(notifications: Iterable[tuple[str, str, Notice]]) -> int:
    """Send each (uid, notification id, notice) not sent before: one read for all, then a create for each missing
    one (a concurrent sender's create wins, and this one skips it). Returns how many this call sent."""
    wanted = list(notifications)
    with NotificationsWork() as uow:
        sent_before = uow.notifications.existing([(uid, notification_id) for uid, notification_id, _ in wanted])
    missing = [item for item in wanted if (item[0], item[1]) not in sent_before]
    return sum(notify_once(uid, notification_id, notice) for uid, notification_id, notice in missing)


def erase_notifications(uid: str) -> int:
    """A deleted user's notifications go (their inbox sits below a user document erasure removes, and Firestore
    leaves subcollections behind). Idempotent; returns how many went."""
    with NotificationsWork() as uow:
        return uow.notifications.delete_all_of(uid)
