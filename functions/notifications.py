"""Slack notices to the team, one subscriber per event, each declaring the secret of the channel it posts to; and
the erasure of a deleted user's in-app notifications (their inbox, `users/{uid}/notifications`).

A failed post to Slack raises, so Pub/Sub redelivers (Slack down, 429, 5xx); a post Slack refuses for good (4xx)
and a channel with no webhook configured are logged and acknowledged.
"""

from __future__ import annotations

from bloom.feedback.events import FEEDBACK_SUBMITTED, FeedbackSubmitted
from bloom.notifications import inbox
from bloom.notifications import service as notifications
from bloom.notifications.slack import DELETED_USERS, THERAPY, USERS
from bloom.platform.events import Event
from bloom.platform.registry import Sdk
from bloom.platform.subscriber import event_function
from bloom.therapy.events import (
    THERAPY_BOOKED,
    THERAPY_CANCELLED,
    THERAPY_RESCHEDULED,
    TherapyBooked,
    TherapyCancelled,
    TherapyRescheduled,
)
from bloom.users.events import USER_DELETED, UserDeleted


@event_function(
    FEEDBACK_SUBMITTED,
    summary="Tell the team in Slack about new session/resource feedback (content, tags and ids only)",
    secrets=(USERS.secret,),
    sdks=(Sdk.REQUESTS,),
)
def slack_feedback_submitted(event: Event[FeedbackSubmitted]) -> None:
    notifications.announce_feedback(event.payload)


@event_function(
    USER_DELETED,
    summary="Tell the team in Slack that a user was deleted (their id only)",
    secrets=(DELETED_USERS.secret,),
    sdks=(Sdk.REQUESTS,),
)
def slack_user_deleted(event: Event[UserDeleted]) -> None:
    notifications.announce_user_deleted(event.payload)


@event_function(
    THERAPY_BOOKED,
    summary="Tell the team in Slack about a therapy booking: booked, rejected or unmatched (ids, partner, therapist)",
    secrets=(THERAPY.secret,),
    sdks=(Sdk.REQUESTS,),
)
def slack_therapy_booked(event: Event[TherapyBooked]) -> None:
    notifications.announce_therapy_booked(event.payload)


@event_function(
    THERAPY_CANCELLED,
    summary="Tell the team in Slack that a therapy booking was cancelled (ids, partner, therapist)",
    secrets=(THERAPY.secret,),
    sdks=(Sdk.REQUESTS,),
)
def slack_therapy_cancelled(event: Event[TherapyCancelled]) -> None:
    notifications.announce_therapy_cancelled(event.payload)


@event_function(
    THERAPY_RESCHEDULED,
    summary="Tell the team in Slack that a therapy booking moved (ids, partner, therapist)",
    secrets=(THERAPY.secret,),
    sdks=(Sdk.REQUESTS,),
)
def slack_therapy_rescheduled(event: Event[TherapyRescheduled]) -> None:
    notifications.announce_therapy_rescheduled(event.payload)


@event_function(USER_DELETED, summary="Erase a deleted user's in-app notifications")
def erase_notifications_of_deleted_user(event: Event[UserDeleted]) -> None:
    if event.payload.auth_uid:  # events recorded before `auth_uid` existed name no inbox
        inbox.erase_notifications(event.payload.auth_uid)
