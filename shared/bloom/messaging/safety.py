"""The safety team's Slack alerts about flagged messages (ids and reasons only, never text), at most one per
thread per `SAFETY_ALERT_WINDOW`.

A burst of flagged messages in one thread makes one alert: the first is announced at once and opens the
thread's window (`safetyAlerts/{threadId}`); the rest within the window are counted, and the alert of the next
flagged message after the window closes says how many were held back (the team reviews them in the thread's
audit). Idempotent under Pub/Sub redelivery: a message counted or announced is not counted or announced again,
and an alert Slack did not take is sent on redelivery.
"""

from __future__ import annotations

from datetime import datetime

from bloom.core.logging import get_logger
from bloom.messaging.events import MessageFlagged
from bloom.messaging.models import SafetyAlertWindow, next_safety_window
from bloom.messaging.repository import MessagingWork
from bloom.notifications import service as notifications

_log = get_logger(__name__)


def alert_safety_team(flagged: MessageFlagged) -> bool:
    """Announce a flagged message unless its thread's window holds it back; True when Slack took an alert."""
    thread_id, flagged_at = flagged.thread_id, datetime.fromisoformat(flagged.flagged_at)

    def work(uow: MessagingWork) -> tuple[SafetyAlertWindow, bool]:
        window = uow.safety_alerts.get(thread_id)
        updated, announce = next_safety_window(window, flagged.message_id, flagged_at)
        if updated != window:
            uow.safety_alerts.save(thread_id, updated)
        return updated, announce

    window, announce = MessagingWork.run_in_transaction(work)
    if not announce:
        _log.info("safety alert held back", extra={"threadId": thread_id, "heldBack": len(window.held_back_ids)})
        return False
    posted = notifications.announce_safety_flag(thread_id, flagged.message_id, flagged.reasons, window.carried)

    def sent(uow: MessagingWork) -> None:
        current = uow.safety_alerts.get(thread_id)
        if current is not None and current.alert_message_id == flagged.message_id:  # not a newer window's
            uow.safety_alerts.change(thread_id, alert_sent=True)

    MessagingWork.run_in_transaction(sent)
    return posted
