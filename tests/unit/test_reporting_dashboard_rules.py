"""The support and credentialing dashboards' counting rules and figures (docs/reporting.md, Dashboards)."""

from __future__ import annotations

from bloom.credentialing.events import ApplicationStatusChanged
from bloom.reporting.counting import tally_of
from bloom.reporting.models import CounterDoc, dashboard_figures
from bloom.support.events import TicketFirstResponse, TicketOpened, TicketResolved

AT = "2026-03-29T10:00:00+00:00"


def test_ticket_rules_move_the_open_gauge_and_the_day_minutes() -> None:
    opened = tally_of("support.ticket-opened", TicketOpened(ticket_id="t", priority="high", opened_at=AT))
    assert opened is not None
    assert (opened.when, opened.counts, opened.gauges) == (AT, {}, {"supportOpenTickets": 1})
    answered = TicketFirstResponse(ticket_id="t", priority="high", responded_at=AT, minutes=42)
    first = tally_of("support.ticket-first-response", answered)
    assert first is not None
    assert first.counts == {"supportFirstResponses": 1, "supportFirstResponseMinutesTotal": 42}
    assert not first.gauges
    resolved = tally_of(
        "support.ticket-resolved", TicketResolved(ticket_id="t", priority="high", resolved_at=AT, minutes=90)
    )
    assert resolved is not None
    assert resolved.counts == {"supportResolutions": 1, "supportResolutionMinutesTotal": 90}
    assert resolved.gauges == {"supportOpenTickets": -1}


def test_application_rule_moves_one_status_to_another() -> None:
    created = ApplicationStatusChanged(application_id="a", from_status=None, to_status="draft", at=AT)
    submitted = ApplicationStatusChanged(application_id="a", from_status="draft", to_status="submitted", at=AT)
    first = tally_of("credentialing.application-status-changed", created)
    second = tally_of("credentialing.application-status-changed", submitted)
    assert first is not None and second is not None
    assert first.gauge_breakdowns == {"credentialingApplicationsByStatus": {"draft": 1}}
    assert second.gauge_breakdowns == {"credentialingApplicationsByStatus": {"submitted": 1, "draft": -1}}
    assert first.when == AT and not first.counts


def _doc(counts: dict[str, int], by_status: dict[str, int] | None = None) -> CounterDoc:
    breakdowns = {"credentialingApplicationsByStatus": by_status} if by_status else {}
    return CounterDoc(counts=dict(counts), breakdowns=breakdowns)


def test_dashboard_figures_take_the_next_days_changes_off_the_gauges_and_round_the_means() -> None:
    day = [
        _doc({"supportFirstResponses": 2, "supportFirstResponseMinutesTotal": 31, "supportResolutions": 0}),
        _doc({"supportFirstResponses": 1, "supportFirstResponseMinutesTotal": 10}),
    ]
    later = [_doc({"supportOpenTickets": 2}, {"draft": -1, "submitted": 1})]
    gauges = [_doc({"supportOpenTickets": 5}, {"draft": 2, "submitted": 1}), _doc({"supportOpenTickets": 1})]
    metrics, breakdowns = dashboard_figures(day, later, gauges)
    assert metrics == {"supportOpenTickets": 4, "supportFirstResponseMinutes": 14, "supportResolutionMinutes": None}
    assert breakdowns == {"credentialingApplicationsByStatus": {"draft": 3}}


def test_dashboard_figures_with_nothing_counted() -> None:
    metrics, breakdowns = dashboard_figures([], [], [])
    assert metrics == {"supportOpenTickets": 0, "supportFirstResponseMinutes": None, "supportResolutionMinutes": None}
    assert breakdowns == {"credentialingApplicationsByStatus": {}}
