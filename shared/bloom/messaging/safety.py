"""The safety team's Slack alerts about flagged messages (ids and reasons only, never text), at most one per
thread per `SAFETY_ALERT_WINDOW`, plus one follow-up with the count of what the window held back.

A burst of flagged messages in one thread makes one alert: the first is announced at once and opens the
thread's window (`safetyAlerts/{threadId}`); the rest within the window are held back (counted). When the
window closes, the scheduled job `send_safety_follow_ups` sends one follow-up saying how many were held back
(the team reviews them in the thread's audit); a flagged message after the window that comes before the job
opens the next window, and its alert carries the count instead. Idempotent under Pub/Sub redelivery and
however often the job fires: a message counted or announced is not counted or announced again, an alert Slack
did not take is sent on redelivery, and a follow-up is claimed in a transaction before it is sent and marked
reported once Slack took it (a claim that never finished is sent again after `SAFETY_FOLLOW_UP_LEASE`).
"""

from __future__ import annotations

from datetime import datetime

from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.messaging.events import MessageFlagged
from bloom.messaging.models import (
    SafetyAlertWindow,
    SafetyFollowUp,
    claim_safety_follow_up,
    next_safety_window,
    safety_follow_up_sent,
)
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


FOLLOW_UPS_PER_RUN = 50  # Slack takes about one post a second per webhook; the rest wait for the next run


def send_follow_ups(scheduled_at: str | None) -> int:
    """The follow-up job: one alert for each window that closed with held-back flags not yet reported, as of the
    time the run was scheduled for (now, when the scheduler does not say). Returns how many Slack took."""
    now = _moment(scheduled_at)
    with MessagingWork() as uow:
        due = uow.safety_alerts.follow_ups_due(now, FOLLOW_UPS_PER_RUN)
    return sum(_send_follow_up(thread_id, now) for thread_id, _ in due)


def _send_follow_up(thread_id: str, now: datetime) -> bool:
    def claim(uow: MessagingWork) -> SafetyFollowUp | None:
        window = uow.safety_alerts.get(thread_id)
        if window is None:
            return None
        updated, follow_up = claim_safety_follow_up(window, now)
        if updated != window:
            uow.safety_alerts.save(thread_id, updated)
        return follow_up

    follow_up = MessagingWork.run_in_transaction(claim)
    if follow_up is None:
        return False
    posted = notifications.announce_safety_follow_up(thread_id, follow_up.alert_message_id, follow_up.held_back)

    def reported(uow: MessagingWork) -> None:
        window = uow.safety_alerts.get(thread_id)
        if window is not None and (updated := safety_follow_up_sent(window, follow_up)) != window:
            uow.safety_alerts.save(thread_id, updated)

    MessagingWork.run_in_transaction(reported)
    _log.info("safety follow-up done", extra={"threadId": thread_id, "heldBack": follow_up.held_back})
    return posted


def _moment(scheduled_at: str | None) -> datetime:
    """The time a scheduled run was meant for when it names one with a zone (the local stack, tests), else now."""
    try:
        moment = datetime.fromisoformat(scheduled_at) if scheduled_at else None
    except ValueError:
        moment = None
    return moment if moment is not None and moment.tzinfo is not None else utcnow()
