"""What the in-app notifications show other areas: a notice to put in someone's inbox.

A notice carries fixed wording and ids only, never clinical text or the other party's name: the builders in
`bloom.notifications.inbox` compose every notice there is, so no caller writes its own text.
"""

from __future__ import annotations

from typing import Literal

from bloom.core.models import CamelModel

NoticeKind = Literal["appointment_reminder", "waitlist_offer", "support_reply"]


class Notice(CamelModel):
    kind: NoticeKind
    title: str
    body: str
    link: str  # a path of the web app
