"""The in-app notifications' stored record: `users/{authUid}/notifications/{id}`, read by its owner's client."""

from __future__ import annotations

from datetime import datetime

from bloom.core.models import CamelModel
from bloom.notifications.schemas import NoticeKind


class NotificationRecord(CamelModel):
    """What the owner's client listens to. `read_at` is the one field the owner may set (firestore.rules)."""

    kind: NoticeKind
    title: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None = None
