"""Team notifications in Slack. Messages carry no personal data: ids, content names and fixed tags.

Composition is pure (`*_message` functions, unit-tested); each `announce_*` use case composes and posts.
A new notification is a message function here, an `announce_*` next to it and a subscriber in
`functions/notifications.py` that declares the channel's secret.
"""

from __future__ import annotations

from bloom.feedback.events import FeedbackSubmitted
from bloom.notifications import slack
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


def safety_flag_message(thread_id: str, message_id: str, reasons: list[str]) -> str:
    """A message was flagged for the safety team: ids and fixed reasons only, never the text."""
    shown = ", ".join(slack_escape(reason) for reason in reasons) or "no reason"
    return (
        f"Safety: message {slack_escape(message_id)} in thread {slack_escape(thread_id)} was flagged ({shown}). "
        "Review it in the practice audit."
    )


def announce_safety_flag(thread_id: str, message_id: str, reasons: list[str]) -> bool:
    return slack.post_message(slack.SAFETY, safety_flag_message(thread_id, message_id, reasons))
