"""Anomalies and the Slack text of a digest: pure functions of the metrics and the earlier runs' metrics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from statistics import fmean, pstdev

from bloom.reporting.schemas import BREAKDOWNS, METRICS, Anomaly, Period

MAX_ANOMALIES = 3
MIN_BASELINE_RUNS = 3
PERCENT_MIN_MEAN = 5.0
BREAKDOWN_LINES = 15


def baseline_size(period: Period) -> int:
    return 7 if period == "daily" else 4


def z_threshold(period: Period) -> float:
    return 2.5 if period == "daily" else 2.0


def anomalies(
    period: Period, metrics: dict[str, int | None], baseline: Sequence[dict[str, int | None]]
) -> list[Anomaly]:
    """Metrics whose |z| against the baseline runs reaches the period's threshold, strongest first, at most 3.

    A metric needs MIN_BASELINE_RUNS earlier values and some spread in them; no percentage is given when the
    baseline mean is under 5 (a change from 1 to 3 is not "+200%" worth of news).
    """
    found: list[Anomaly] = []
    for metric in METRICS:
        value = metrics.get(metric)
        history = [run[metric] for run in baseline if run.get(metric) is not None]
        if value is None or len(history) < MIN_BASELINE_RUNS:
            continue
        values = [float(v) for v in history if v is not None]
        mean, spread = fmean(values), pstdev(values)
        if spread == 0:
            continue
        z = (value - mean) / spread
        if abs(z) < z_threshold(period):
            continue
        percent = None if mean < PERCENT_MIN_MEAN else round((value - mean) / mean * 100, 1)
        found.append(
            Anomaly(
                metric=metric, value=value, baseline_mean=round(mean, 2), z_score=round(z, 2), change_percent=percent
            )
        )
    found.sort(key=lambda anomaly: abs(anomaly.z_score), reverse=True)
    return found[:MAX_ANOMALIES]


def _label(metric: str) -> str:
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in metric)
    return words[:1].upper() + words[1:]


def headline(
    period: Period,
    start: date,
    end: date,
    zone: str,
    metrics: dict[str, int | None],
    found: Sequence[Anomaly],
    failed: Sequence[str],
) -> str:
    """The digest's first message: every metric, the anomalies, and the metrics that could not be computed."""
    last = date.fromordinal(end.toordinal() - 1)
    span = start.isoformat() if start == last else f"{start.isoformat()} to {last.isoformat()}"
    lines = [f"*Bloom {period} report* {span} ({zone})"]
    for metric in METRICS:
        value = metrics.get(metric)
        lines.append(f"• {_label(metric)}: {'n/a' if value is None else value}")
    for anomaly in found:
        change = "" if anomaly.change_percent is None else f", {anomaly.change_percent:+.0f}%"
        lines.append(
            f":warning: {_label(anomaly.metric)} is {anomaly.value} against a usual {anomaly.baseline_mean:g}"
            f" (z {anomaly.z_score:+.1f}{change})"
        )
    if failed:
        lines.append(f":x: Could not compute: {', '.join(failed)}")
    return "\n".join(lines)


def breakdown_replies(period: Period, breakdowns: dict[str, dict[str, int]]) -> list[str]:
    """The thread replies: one per non-empty breakdown, largest first (weekly and longer periods only)."""
    if period == "daily":
        return []
    replies: list[str] = []
    for name in BREAKDOWNS:
        values = breakdowns.get(name) or {}
        if not values:
            continue
        ranked = sorted(values.items(), key=lambda item: (-item[1], item[0]))
        lines = [f"*{_label(name)}*"] + [f"• {key}: {count}" for key, count in ranked[:BREAKDOWN_LINES]]
        if len(ranked) > BREAKDOWN_LINES:
            lines.append(f"… and {len(ranked) - BREAKDOWN_LINES} more")
        replies.append("\n".join(lines))
    return replies
