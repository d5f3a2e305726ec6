"""Reporting: the counters' subscribers (one per counted topic), the five digest jobs and the super admin's runs.

A new counted topic is one `@counts(TOPIC)` rule in `bloom.reporting.counting` and one subscriber here.
"""

from __future__ import annotations

from typing import Any

from bloom.api import HttpContext, http_function
from bloom.content.events import PROGRESS_CHANGED
from bloom.core.settings import DEFAULT_REPORTING_TIMEZONE
from bloom.credentialing.events import APPLICATION_STATUS_CHANGED
from bloom.feedback.events import EVENT_LOG_RECORDED, FEEDBACK_SUBMITTED
from bloom.partners.events import PARTNER_ACCESS_ACTIVATED, PARTNER_ACCESS_GRANTED
from bloom.platform.events import Event
from bloom.platform.http import Empty
from bloom.platform.registry import Capability, Role, Sdk
from bloom.platform.subscriber import event_function, scheduled_function
from bloom.platform.topics import ScheduledRun
from bloom.reporting import errors
from bloom.reporting import service as reporting
from bloom.reporting.schemas import RunOut, RunQuery, RunsQuery
from bloom.support.events import SLA_BREACHED, TICKET_FIRST_RESPONSE, TICKET_OPENED, TICKET_RESOLVED
from bloom.therapy.events import THERAPY_BOOKED, THERAPY_CANCELLED, THERAPY_COMPLETED
from bloom.users.events import USER_CREATED, USER_DELETED

TAGS = ("reporting",)
ZONE = DEFAULT_REPORTING_TIMEZONE  # Cloud Scheduler's zone; REPORTING_TIMEZONE must match it when changed
SLACK = ("SLACK_BOT_TOKEN",)


def _count(event: Event[Any]) -> None:
    reporting.count_event(event.topic, event.payload, event.id, event.published_at)


# ---------------------------------------------------------------- counters


@event_function(USER_CREATED, summary="Count a new user in the reporting counters and their signup week's cohort")
def count_user_created(event: Event[Any]) -> None:
    _count(event)
    reporting.join_cohort(event.payload)


@event_function(USER_DELETED, summary="Count a deleted user in the reporting counters")
def count_user_deleted(event: Event[Any]) -> None:
    _count(event)
    reporting.leave_cohort(event.payload.user_id)


@event_function(PARTNER_ACCESS_GRANTED, summary="Count a partner access grant in the reporting counters")
def count_partner_access_granted(event: Event[Any]) -> None:
    _count(event)


@event_function(PARTNER_ACCESS_ACTIVATED, summary="Count a partner access activation in the reporting counters")
def count_partner_access_activated(event: Event[Any]) -> None:
    _count(event)


@event_function(PROGRESS_CHANGED, summary="Count course, session and resource starts and completions, and retention")
def count_progress_changed(event: Event[Any]) -> None:
    _count(event)
    reporting.record_activity(event.payload.user_id, event.payload.occurred_at)


@event_function(FEEDBACK_SUBMITTED, summary="Count session and resource feedback in the reporting counters")
def count_feedback_submitted(event: Event[Any]) -> None:
    _count(event)


@event_function(EVENT_LOG_RECORDED, summary="Count chat messages sent and received, and retention")
def count_event_log_recorded(event: Event[Any]) -> None:
    _count(event)
    reporting.record_activity(event.payload.user_id, event.payload.occurred_at)


@event_function(THERAPY_BOOKED, summary="Count a therapy booking that charged an access")
def count_therapy_booked(event: Event[Any]) -> None:
    _count(event)


@event_function(THERAPY_CANCELLED, summary="Count a cancelled therapy booking")
def count_therapy_cancelled(event: Event[Any]) -> None:
    _count(event)


@event_function(THERAPY_COMPLETED, summary="Count a completed therapy session")
def count_therapy_completed(event: Event[Any]) -> None:
    _count(event)


@event_function(SLA_BREACHED, summary="Count a support ticket's missed first response or resolution time")
def count_support_sla_breached(event: Event[Any]) -> None:
    _count(event)


@event_function(TICKET_OPENED, summary="Count a support ticket opened or reopened on the open tickets gauge")
def count_support_ticket_opened(event: Event[Any]) -> None:
    _count(event)


@event_function(TICKET_FIRST_RESPONSE, summary="Count a support ticket's first response and its minutes")
def count_support_ticket_first_response(event: Event[Any]) -> None:
    _count(event)


@event_function(TICKET_RESOLVED, summary="Count a support ticket resolved, its minutes, off the open tickets gauge")
def count_support_ticket_resolved(event: Event[Any]) -> None:
    _count(event)


@event_function(APPLICATION_STATUS_CHANGED, summary="Count a credentialing application's status change by status")
def count_credentialing_application_status_changed(event: Event[Any]) -> None:
    _count(event)


# ---------------------------------------------------------------- digests at 09:00 in the reporting time zone


@scheduled_function(
    "0 9 * * *",
    time_zone=ZONE,
    summary="Daily reporting digest to Slack, its figures to Cloud Monitoring",
    secrets=SLACK,
    sdks=(Sdk.SLACK,),
    uses=(Capability.METRIC_WRITER,),
)
def daily_digest(event: Event[ScheduledRun]) -> None:
    reporting.run_daily(event.payload.scheduled_at)


@scheduled_function(
    "0 9 * * 1", time_zone=ZONE, summary="Weekly reporting digest to Slack", secrets=SLACK, sdks=(Sdk.SLACK,)
)
def weekly_digest(event: Event[ScheduledRun]) -> None:
    reporting.run_scheduled("weekly", event.payload.scheduled_at)


@scheduled_function(
    "0 9 1 * *", time_zone=ZONE, summary="Monthly reporting digest to Slack", secrets=SLACK, sdks=(Sdk.SLACK,)
)
def monthly_digest(event: Event[ScheduledRun]) -> None:
    reporting.run_scheduled("monthly", event.payload.scheduled_at)


@scheduled_function(
    "0 9 1 1,4,7,10 *", time_zone=ZONE, summary="Quarterly reporting digest to Slack", secrets=SLACK, sdks=(Sdk.SLACK,)
)
def quarterly_digest(event: Event[ScheduledRun]) -> None:
    reporting.run_scheduled("quarterly", event.payload.scheduled_at)


@scheduled_function(
    "0 9 1 1 *", time_zone=ZONE, summary="Yearly reporting digest to Slack", secrets=SLACK, sdks=(Sdk.SLACK,)
)
def yearly_digest(event: Event[ScheduledRun]) -> None:
    reporting.run_scheduled("yearly", event.payload.scheduled_at)


# ---------------------------------------------------------------- the super admin's runs


@http_function(
    "POST",
    "/api/reporting/run",
    role=Role.SUPER_ADMIN,
    query=RunQuery,
    response=RunOut,
    summary="Run (or re-run) the digest of a period that has ended; a sent run is never posted again",
    errors=(errors.NOT_A_PERIOD_START, errors.PERIOD_NOT_OVER),
    secrets=SLACK,
    sdks=(Sdk.SLACK,),
    tags=TAGS,
)
def run_reporting_digest(ctx: HttpContext[Empty, RunQuery]) -> RunOut:
    return reporting.rerun(ctx.query.period, ctx.query.start)


@http_function(
    "GET",
    "/api/v1/reporting/runs",
    role=Role.SUPER_ADMIN,
    query=RunsQuery,
    response=list[RunOut],
    summary="The latest digest runs with their metrics, breakdowns and anomalies",
    tags=TAGS,
)
def list_reporting_runs(ctx: HttpContext[Empty, RunsQuery]) -> list[RunOut]:
    return reporting.list_runs(ctx.query.period, ctx.query.limit)
