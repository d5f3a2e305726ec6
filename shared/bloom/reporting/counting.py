"""What each domain event adds to the counters: one small rule per topic, no I/O.

Adding a topic (e.g. WhatsApp subscriptions) is one `@counts(TOPIC)` rule here and one subscriber in
`functions/reporting.py`; until then its metrics read 0 from the counters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

from bloom.content.events import PROGRESS_CHANGED, ProgressChanged
from bloom.credentialing.events import APPLICATION_STATUS_CHANGED, ApplicationStatusChanged
from bloom.feedback.events import EVENT_LOG_RECORDED, FEEDBACK_SUBMITTED, EventLogRecorded, FeedbackSubmitted
from bloom.partners.events import (
    PARTNER_ACCESS_ACTIVATED,
    PARTNER_ACCESS_GRANTED,
    PartnerAccessActivated,
    PartnerAccessGranted,
)
from bloom.platform.topics import Topic
from bloom.reporting.models import (
    APPLICATIONS_BY_STATUS,
    FIRST_RESPONSE_MINUTES_TOTAL,
    FIRST_RESPONSES,
    OPEN_TICKETS,
    RESOLUTION_MINUTES_TOTAL,
    RESOLUTIONS,
)
from bloom.support import events as support
from bloom.therapy.events import (
    THERAPY_BOOKED,
    THERAPY_CANCELLED,
    THERAPY_COMPLETED,
    TherapyBooked,
    TherapyCancelled,
    TherapyCompleted,
    TherapyEvent,
)
from bloom.users.events import USER_CREATED, USER_DELETED, UserCreated, UserDeleted

P = TypeVar("P", bound=BaseModel)
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Tally:
    """What one event adds: `when` (ISO timestamp, None: the event's publish time) decides the day. `gauges` are
    changes of running totals (open tickets, applications by status): added to the gauge shards as well as to
    the day's and month's counters."""

    when: str | None
    counts: dict[str, int]
    breakdowns: dict[str, dict[str, int]] = field(default_factory=dict)
    gauges: dict[str, int] = field(default_factory=dict)
    gauge_breakdowns: dict[str, dict[str, int]] = field(default_factory=dict)


Rule = Callable[[Any], Tally | None]
RULES: dict[str, Rule] = {}


def counts(topic: Topic[P]) -> Callable[[Callable[[P], Tally | None]], Callable[[P], Tally | None]]:
    """Declare the rule that turns `topic`'s payload into counter increments (None: counts nothing)."""

    def register(rule: Callable[[P], Tally | None]) -> Callable[[P], Tally | None]:
        if topic.name in RULES:
            raise ValueError(f"two counting rules for {topic.name}")
        RULES[topic.name] = rule
        return rule

    return register


def tally_of(topic: str, payload: BaseModel) -> Tally | None:
    rule = RULES.get(topic)
    return rule(payload) if rule is not None else None


def _key(value: str | None) -> str:
    return value or UNKNOWN


@counts(USER_CREATED)
def _user_created(event: UserCreated) -> Tally:
    metrics = {"newUsers": 1, "newPartnerUsers": 1 if event.partner_ids else 0}
    breakdowns = {
        "newUsersByPartner": {partner_id: 1 for partner_id in event.partner_ids},
        "newUsersByLanguage": {_key(event.sign_up_language): 1},
    }
    return Tally(event.created_at, metrics, breakdowns)


@counts(USER_DELETED)
def _user_deleted(event: UserDeleted) -> Tally:
    return Tally(event.deleted_at, {"deletedUsers": 1})


@counts(PARTNER_ACCESS_GRANTED)
def _access_granted(event: PartnerAccessGranted) -> Tally:
    return Tally(event.created_at, {"partnerAccessGrants": 1}, {"grantsByPartner": {event.partner_id: 1}})


@counts(PARTNER_ACCESS_ACTIVATED)
def _access_activated(event: PartnerAccessActivated) -> Tally:
    return Tally(event.activated_at, {"partnerAccessActivations": 1}, {"activationsByPartner": {event.partner_id: 1}})


_PROGRESS_METRIC = {"course": "courses", "session": "sessions", "resource": "resources"}


@counts(PROGRESS_CHANGED)
def _progress(event: ProgressChanged) -> Tally | None:
    """Starts and completions; an `uncompleted` is not a report figure (a completion stays counted)."""
    if event.transition == "uncompleted":
        return None
    verb = "Started" if event.transition == "started" else "Completed"
    metric = f"{_PROGRESS_METRIC[event.kind]}{verb}"
    if event.kind == "resource":
        breakdown = {f"resources{verb}ByCategory": {_key(event.resource_category): 1}}
    elif event.kind == "session":
        breakdown = {f"sessions{verb}BySession": {event.item_id: 1}}
    else:
        breakdown = {f"courses{verb}ByCourse": {event.item_id: 1}}
    return Tally(event.occurred_at, {metric: 1}, breakdown)


@counts(FEEDBACK_SUBMITTED)
def _feedback(event: FeedbackSubmitted) -> Tally:
    metric = "sessionFeedbackSubmitted" if event.kind == "session" else "resourceFeedbackSubmitted"
    return Tally(event.submitted_at, {metric: 1}, {"feedbackByTag": {_key(tag): 1 for tag in event.tags}})


_CHAT_METRICS = {"CHAT_MESSAGE_SENT": "chatMessagesSent", "CHAT_MESSAGE_RECEIVED": "chatMessagesReceived"}


@counts(EVENT_LOG_RECORDED)
def _event_logged(event: EventLogRecorded) -> Tally | None:
    metric = _CHAT_METRICS.get(event.event)
    return Tally(event.occurred_at, {metric: 1}) if metric is not None else None


def _therapy_breakdowns(event: TherapyEvent) -> dict[str, dict[str, int]]:
    return {
        "therapyByTherapist": {_key(event.service_provider_name): 1},
        "therapyByPartner": {_key(event.partner_id): 1},
    }


@counts(THERAPY_BOOKED)
def _therapy_booked(event: TherapyBooked) -> Tally | None:
    """Bookings that charged an access (the ledger records each booking once); rejected and unmatched ones are
    the team's to handle, announced in Slack, not sessions."""
    if event.outcome != "booked":
        return None
    return Tally(None, {"therapyBookingsBooked": 1}, _therapy_breakdowns(event))


@counts(THERAPY_CANCELLED)
def _therapy_cancelled(event: TherapyCancelled) -> Tally:
    return Tally(None, {"therapyBookingsCancelled": 1})


@counts(THERAPY_COMPLETED)
def _therapy_completed(event: TherapyCompleted) -> Tally:
    return Tally(event.completed_at, {"therapySessionsCompleted": 1})


@counts(support.SLA_BREACHED)
def _sla_breached(event: support.SlaBreached) -> Tally:
    """A ticket that missed its first response or its resolution time (the breach job publishes each once)."""
    return Tally(None, {"supportSlaBreaches": 1}, {"slaBreachesByKind": {event.kind: 1}})


# The support and credentialing dashboards. The areas announce state transitions only (a ticket is opened
# again only when reopened from resolved/closed, resolved only when it leaves open/pending; an application's
# event is a real status change), so the gauges stay exact; redeliveries are stopped by the event id's claim.


@counts(support.TICKET_OPENED)
def _ticket_opened(event: support.TicketOpened) -> Tally:
    return Tally(event.opened_at, {}, gauges={OPEN_TICKETS: 1})


@counts(support.TICKET_FIRST_RESPONSE)
def _ticket_first_response(event: support.TicketFirstResponse) -> Tally:
    return Tally(event.responded_at, {FIRST_RESPONSES: 1, FIRST_RESPONSE_MINUTES_TOTAL: event.minutes})


@counts(support.TICKET_RESOLVED)
def _ticket_resolved(event: support.TicketResolved) -> Tally:
    """Every resolution counts its minutes from creation (a reopened ticket resolved again counts again)."""
    counts = {RESOLUTIONS: 1, RESOLUTION_MINUTES_TOTAL: event.minutes}
    return Tally(event.resolved_at, counts, gauges={OPEN_TICKETS: -1})


@counts(APPLICATION_STATUS_CHANGED)
def _application_status_changed(event: ApplicationStatusChanged) -> Tally | None:
    if event.from_status == event.to_status:
        return None
    change: dict[str, int] = {event.to_status: 1}
    if event.from_status is not None:
        change[event.from_status] = -1
    return Tally(event.at, {}, gauge_breakdowns={APPLICATIONS_BY_STATUS: change})
