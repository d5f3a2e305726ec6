"""The unread-reply email job: a user whose team reply stays unread is emailed (no message text: the email only
says a reply is waiting), at most once per window however often the job fires.

The windows are the chat's (`models.email_due`: first after 5 minutes, then at most one per 2 hours, 3 at most,
reset by a read receipt). Each email is claimed on the chat document before it is sent (as the original backend
does): two overlapping runs cannot both send, and a run that dies after the claim sends nothing rather than twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bloom.core.errors import PermanentEventError, TransientEventError
from bloom.core.logging import get_logger
from bloom.livechat import service

UNREAD_EVENT = "FRONT_MESSAGE_UNREAD"  # the Mailchimp event the team's journey emails on (the original's name)
_log = get_logger(__name__)


def send_unread_emails(now: datetime, send: Callable[[str], object]) -> int:
    """Email (through `send(user_id)`) every user due one at `now`; returns how many were claimed and sent."""
    sent = 0
    for due in service.unread_replies_due(now):
        if not service.record_unread_email(due.user_id, now):
            continue
        try:
            send(due.user_id)
        except (TransientEventError, PermanentEventError) as exc:
            _log.warning("unread-reply email not sent", extra={"error": type(exc).__name__})
            continue
        sent += 1
    return sent
