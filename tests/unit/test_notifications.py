"""Slack message composition: pure functions, no I/O."""

from __future__ import annotations

from bloom.feedback.events import FeedbackSubmitted
from bloom.notifications.service import feedback_message, slack_escape, user_deleted_message
from bloom.users.events import UserDeleted


def test_feedback_message_names_the_content_the_tags_and_the_feedback_id() -> None:
    feedback = FeedbackSubmitted(
        feedback_id="fb-1", kind="session", item_id="s-1", item_name="Healing", tags=["relatable", "useful"]
    )
    assert feedback_message(feedback) == "New session feedback on Healing: relatable, useful (feedback fb-1)"


def test_resource_feedback_and_an_unknown_kind() -> None:
    resource = FeedbackSubmitted(
        feedback_id="fb-2", kind="resource", item_id="r", item_name="Podcast", tags=["too long"]
    )
    odd = FeedbackSubmitted(feedback_id="fb-3", kind="quiz", item_id="q", item_name="Quiz", tags=[])
    assert feedback_message(resource) == "New resource feedback on Podcast: too long (feedback fb-2)"
    assert feedback_message(odd) == "New feedback on Quiz: no tags (feedback fb-3)"


def test_slack_markup_in_values_is_escaped() -> None:
    feedback = FeedbackSubmitted(
        feedback_id="fb-4", kind="session", item_id="s", item_name="Boundaries & <!channel>", tags=["useful"]
    )
    assert feedback_message(feedback) == (
        "New session feedback on Boundaries &amp; &lt;!channel&gt;: useful (feedback fb-4)"
    )
    assert slack_escape("<@U123>") == "&lt;@U123&gt;"


def test_user_deleted_message_carries_the_id_only() -> None:
    message = user_deleted_message(UserDeleted(user_id="0b6c1f0e-uuid", deleted_at="2030-01-01T12:00:00+00:00"))
    assert message == (
        "User 0b6c1f0e-uuid was deleted at 2030-01-01T12:00:00+00:00: their account and personal data were erased."
    )
