"""Team notifications in Slack. Messages carry no personal data: ids, content names and fixed tags.

Composition is pure (`*_message` functions, unit-tested); each `announce_*` use case composes and posts.
A new notification is a message function here, an `announce_*` next to it and a subscriber in
`functions/notifications.py` that declares the channel's secret.
"""

from __future__ import annotations

from bloom.feedback.events import FeedbackSubmitted
from bloom.notifications import slack
from bloom.partners import service as partners
from bloom.therapy.events import TherapyBooked, TherapyCancelled, TherapyEvent, TherapyRescheduled
from bloom.users.events import UserDeleted

_FEEDBACK_KINDS = {"session": "session", "resource": "resource"}


def slack_escape(text: str) -> str:
    """Slack treats `<`, `>` and `&` as markup (links, mentions); escape them so values show as written."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def feedback_message(feedback: FeedbackSubmitted) -> str:
    kind = _FEEDBACK_KINDS.get(feedback.kind)
    subject = f"New {kind} feedback" if kind else "New feedback"
    tags = ", ".join(slack_escape(tag) for tag in feedback.tags) or "no tags"
    return f"{subject} on {slack_escape(feedback.item_name)}: {tags} (feedback {slack_escape(feedback.feedback_id)})"


def user_deleted_message(deleted: UserDeleted) -> str:
    return (
        f"User {slack_escape(deleted.user_id)} was deleted at {slack_escape(deleted.deleted_at)}: "
        "their account and personal data were erased."
    )


def announce_feedback(feedback: FeedbackSubmitted) -> bool:
    return slack.post_message(slack.USERS, feedback_message(feedback))


def announce_user_deleted(deleted: UserDeleted) -> bool:
    return slack.post_message(slack.DELETED_USERS, user_deleted_message(deleted))


# ---------------------------------------------------------------- therapy (ids, partner, therapist; never the client)


def mask(identifier: str | None) -> str:
    """Enough of an id for the team to find the record, not enough to pass around: its last 6 characters."""
    if not identifier:
        return "none"
    return "…" + slack_escape(identifier[-6:])


def _therapy_facts(event: TherapyEvent, partner_name: str | None) -> str:
    partner = slack_escape(partner_name) if partner_name else "no partner"
    therapist = slack_escape(event.service_provider_name) or "unknown therapist"
    return (
        f"session {mask(event.session_id)}, booking {mask(event.booking_code)}, user {mask(event.user_id)}, "
        f"{partner}, with {therapist}, starting {slack_escape(event.start_date_time)}"
    )


def therapy_booked_message(event: TherapyBooked, partner_name: str | None) -> str:
    facts = _therapy_facts(event, partner_name)
    if event.outcome == "booked":
        return f"Therapy booked: {facts}."
    if event.outcome == "rejected":
        return f"Therapy booking REJECTED (no access with sessions left; cancel it in Simplybook): {facts}."
    return f"Therapy booking UNMATCHED (no Bloom user found; check it in Simplybook): {facts}."


def therapy_cancelled_message(event: TherapyCancelled, partner_name: str | None) -> str:
    refund = "session refunded" if event.refunded else "nothing to refund"
    todo = " Cancel it in Simplybook too." if event.cancel_in_simplybook else ""
    return f"Therapy cancelled ({refund}): {_therapy_facts(event, partner_name)}.{todo}"


def therapy_rescheduled_message(event: TherapyRescheduled, partner_name: str | None) -> str:
    moved = slack_escape(event.rescheduled_from)
    return f"Therapy rescheduled from {moved}: {_therapy_facts(event, partner_name)}."


def _partner_name(event: TherapyEvent) -> str | None:
    return partners.partner_name(event.partner_id) if event.partner_id else None


def announce_therapy_booked(event: TherapyBooked) -> bool:
    return slack.post_message(slack.THERAPY, therapy_booked_message(event, _partner_name(event)))


def announce_therapy_cancelled(event: TherapyCancelled) -> bool:
    return slack.post_message(slack.THERAPY, therapy_cancelled_message(event, _partner_name(event)))


def announce_therapy_rescheduled(event: TherapyRescheduled) -> bool:
    return slack.post_message(slack.THERAPY, therapy_rescheduled_message(event, _partner_name(event)))


def _more_flagged(count: int) -> str:
    return f"{count} more flagged message{'s' if count != 1 else ''}"


def safety_flag_message(thread_id: str, message_id: str, reasons: list[str], held_back: int = 0) -> str:
    """A message was flagged for the safety team: ids, fixed reasons and a count only, never the text.
    `held_back`: flagged messages of the thread not announced since its last alert (alerts are capped)."""
    shown = ", ".join(slack_escape(reason) for reason in reasons) or "no reason"
    earlier = f" {_more_flagged(held_back)} in this thread since its last alert." if held_back else ""
    return (
        f"Safety: message {slack_escape(message_id)} in thread {slack_escape(thread_id)} was flagged ({shown})."
        f"{earlier} Review the thread in the practice audit."
    )


def announce_safety_flag(thread_id: str, message_id: str, reasons: list[str], held_back: int = 0) -> bool:
    return slack.post_message(slack.SAFETY, safety_flag_message(thread_id, message_id, reasons, held_back))


def safety_follow_up_message(thread_id: str, alert_message_id: str, held_back: int) -> str:
    """The count of flagged messages a thread's alert window held back, once it closed: ids and a count only."""
    return (
        f"Safety: {_more_flagged(held_back)} in thread {slack_escape(thread_id)} since the alert about message "
        f"{slack_escape(alert_message_id)}. Review the thread in the practice audit."
    )


def announce_safety_follow_up(thread_id: str, alert_message_id: str, held_back: int) -> bool:
    return slack.post_message(slack.SAFETY, safety_follow_up_message(thread_id, alert_message_id, held_back))


# ---------------------------------------------------------------- support (ids, number, priority; never text)

_SLA_NAMES = {"first_response": "first response", "resolution": "resolution"}


def sla_breach_message(ticket_id: str, number: int, priority: str, kind: str, due_at: str) -> str:
    """A support ticket missed an SLA: the ticket's id and number, its priority and the due time only."""
    target = _SLA_NAMES.get(kind, "SLA")
    return (
        f"Support: ticket #{number} ({slack_escape(ticket_id)}, {slack_escape(priority)} priority) missed its "
        f"{target} time, due {slack_escape(due_at)}. Open it in the support queue."
    )


def announce_sla_breach(ticket_id: str, number: int, priority: str, kind: str, due_at: str) -> bool:
    return slack.post_message(slack.SUPPORT, sla_breach_message(ticket_id, number, priority, kind, due_at))
