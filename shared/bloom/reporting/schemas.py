"""What the reporting area shows callers: digest runs with their metrics, breakdowns and anomalies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from bloom.core.models import CamelModel, RequestModel

Period = Literal["daily", "weekly", "monthly", "quarterly", "yearly"]
PERIODS: tuple[Period, ...] = ("daily", "weekly", "monthly", "quarterly", "yearly")
RunStatus = Literal["pending", "sent", "failed"]

# Every metric a digest reports, in the order the message shows them.
METRICS: tuple[str, ...] = (
    "newUsers",
    "newPartnerUsers",
    "deletedUsers",
    "activeUsers",
    "coursesStarted",
    "coursesCompleted",
    "sessionsStarted",
    "sessionsCompleted",
    "resourcesStarted",
    "resourcesCompleted",
    "therapyBookingsBooked",
    "therapyBookingsCancelled",
    "therapySessionsCompleted",
    "partnerAccessGrants",
    "partnerAccessActivations",
    "whatsappSubscribed",
    "whatsappUnsubscribed",
    "sessionFeedbackSubmitted",
    "resourceFeedbackSubmitted",
    "chatMessagesSent",
    "chatMessagesReceived",
    "supportSlaBreaches",
)

# Breakdown maps (name -> key -> count), shown for weekly and longer periods.
BREAKDOWNS: tuple[str, ...] = (
    "coursesStartedByCourse",
    "coursesCompletedByCourse",
    "sessionsStartedBySession",
    "sessionsCompletedBySession",
    "resourcesStartedByCategory",
    "resourcesCompletedByCategory",
    "newUsersByPartner",
    "newUsersByLanguage",
    "grantsByPartner",
    "activationsByPartner",
    "feedbackByTag",
    "therapyByTherapist",
    "therapyByPartner",
    "slaBreachesByKind",
)


class Anomaly(CamelModel):
    metric: str
    value: int
    baseline_mean: float
    z_score: float
    change_percent: float | None  # None when the baseline mean is too small for a percentage to mean anything


class RunOut(CamelModel):
    id: str
    period: Period
    start: date
    end: date  # exclusive
    status: RunStatus
    metrics: dict[str, int | None]
    breakdowns: dict[str, dict[str, int]]
    anomalies: list[Anomaly]
    failed_metrics: list[str]
    error: str | None
    slack_ts: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime


class RunQuery(RequestModel):
    period: Period
    start: date


class RunsQuery(RequestModel):
    period: Period | None = None
    limit: int = Field(default=20, ge=1, le=100)
