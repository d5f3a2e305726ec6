"""The daily digest's figures as Cloud Monitoring custom metrics, for the dashboards (docs/reporting.md, Dashboards).

One `timeSeries.create` call (REST, through the integration HTTP client with google-auth's default credentials:
lighter than google-cloud-monitoring and its gRPC stack at cold start) writes one GAUGE point per metric, at the
end of the day the digest covers: `custom.googleapis.com/bloom/reporting/<metric>`, one series per key of the
breakdowns in `LABELLED_BREAKDOWNS`, the support and credentialing dashboards' figures (`DASHBOARD_METRICS`,
applications by `status`), and the weekly retention cohorts' figures per `weeks_after`. Monitoring
takes points up to 25 hours old only, so a day exported more than `MAX_POINT_AGE` after it ended is skipped, and
the run records that it was exported so a re-fire never writes the same point twice (Monitoring refuses that).

`MONITORING_API_URL` unset (local runs) means no export; tests point it at a local fake, which gets no token.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from bloom.core.logging import get_logger
from bloom.core.settings import DEFAULT_MONITORING_API_URL, get_settings
from bloom.reporting.models import APPLICATIONS_BY_STATUS, DASHBOARD_METRICS

METRIC_PREFIX = "custom.googleapis.com/bloom/reporting/"
SCOPE = "https://www.googleapis.com/auth/monitoring.write"
MAX_SERIES_PER_CALL = 200  # timeSeries.create's limit
MAX_POINT_AGE = timedelta(hours=24)  # Monitoring's limit is 25 hours; an hour to spare for the call itself
# Breakdown -> the label its keys become (the dashboards group by it). Partner ids and SLA kinds: no personal data.
# Statuses of credentialing applications likewise.
LABELLED_BREAKDOWNS = {
    "newUsersByPartner": "partner",
    "slaBreachesByKind": "kind",
    APPLICATIONS_BY_STATUS: "status",
}
# The cohort whose week N after signup contains the day: its size, and its users active again that week so far.
COHORT_SIGNUPS = "retentionCohortSignups"
ACTIVE_AGAIN = "retentionActiveAgain"
WEEKS_LABEL = "weeks_after"
_log = get_logger(__name__)


class ExportFailed(Exception):
    """Monitoring did not take the points (unreachable, refused, credentials unusable)."""


def metric_type(name: str) -> str:
    return METRIC_PREFIX + name


def exported_metric_types(metrics: tuple[str, ...]) -> list[str]:
    """Every custom metric type the export may write (the dashboards' tiles use these only): the digest's
    `metrics`, the support dashboard's figures, the labelled breakdowns and the retention cohorts'."""
    names = (*metrics, *DASHBOARD_METRICS, *LABELLED_BREAKDOWNS, COHORT_SIGNUPS, ACTIVE_AGAIN)
    return [metric_type(name) for name in names]


def time_series(
    project_id: str,
    end: datetime,
    metrics: dict[str, int | None],
    breakdowns: dict[str, dict[str, int]],
    retention: dict[int, tuple[int, int]],
) -> list[dict[str, Any]]:
    """The `timeSeries` of one day: a point per computed metric (a `null` metric is left out, not written as 0),
    per key of the labelled breakdowns, and per retention offset (`retention`: weeks -> (signups, active))."""
    at = end.astimezone(UTC).isoformat().replace("+00:00", "Z")
    resource = {"type": "global", "labels": {"project_id": project_id}}

    def series(name: str, value: int, labels: dict[str, str]) -> dict[str, Any]:
        return {
            "metric": {"type": metric_type(name), "labels": labels},
            "resource": resource,
            "metricKind": "GAUGE",
            "valueType": "INT64",
            "points": [{"interval": {"endTime": at}, "value": {"int64Value": str(value)}}],
        }

    found = [series(name, value, {}) for name, value in metrics.items() if value is not None]
    for name, label in LABELLED_BREAKDOWNS.items():
        found.extend(series(name, count, {label: key}) for key, count in sorted(breakdowns.get(name, {}).items()))
    for weeks, (signups, active) in sorted(retention.items()):
        found.append(series(COHORT_SIGNUPS, signups, {WEEKS_LABEL: str(weeks)}))
        found.append(series(ACTIVE_AGAIN, active, {WEEKS_LABEL: str(weeks)}))
    return found


def _batches(items: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), MAX_SERIES_PER_CALL):
        yield items[start : start + MAX_SERIES_PER_CALL]


def _token() -> str | None:
    """An access token of the function's own service account; None when the API is not Google's (a local fake)."""
    if get_settings().monitoring_api_url != DEFAULT_MONITORING_API_URL:
        return None
    import google.auth
    from google.auth import exceptions
    from google.auth.transport.requests import Request

    from bloom.platform.http_client import integration_session

    try:
        credentials, _ = google.auth.default(scopes=[SCOPE])
        with integration_session("google-oauth", log_path=False) as session:
            credentials.refresh(Request(session=session))  # type: ignore[no-untyped-call]
    except (exceptions.GoogleAuthError, OSError) as exc:
        raise ExportFailed(f"monitoring credentials unusable ({type(exc).__name__})") from None
    token = credentials.token
    if not isinstance(token, str):
        raise ExportFailed("monitoring credentials gave no token")
    return token


def export_day(
    end: datetime,
    metrics: dict[str, int | None],
    breakdowns: dict[str, dict[str, int]],
    retention: dict[int, tuple[int, int]],
    now: datetime,
) -> bool:
    """Write the day ending at `end`; False when there is nowhere to write or the day is too old for Monitoring."""
    settings = get_settings()
    if settings.monitoring_api_url is None:
        return False
    if now - end > MAX_POINT_AGE:
        _log.warning("reporting export skipped: day too old", extra={"end": end.isoformat()})
        return False
    import requests

    from bloom.platform.http_client import integration_session

    token = _token()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = f"{settings.monitoring_api_url.rstrip('/')}/v3/projects/{settings.project_id}/timeSeries"
    series = time_series(settings.project_id, end, metrics, breakdowns, retention)
    try:
        # Not retried after it may have been received: a second write of the same point is refused anyway.
        with integration_session("monitoring") as session:
            for batch in _batches(series):
                response = session.post(url, json={"timeSeries": batch}, headers=headers)
                if response.status_code != 200:
                    raise ExportFailed(f"monitoring answered {response.status_code}")
    except requests.RequestException as exc:
        raise ExportFailed(f"monitoring unreachable ({type(exc).__name__})") from None
    _log.info("reporting metrics exported", extra={"series": len(series)})
    return True
