"""The product dashboards in Terraform: each exists with its tiles, and each tile reads a metric that is really
produced (a custom metric the daily digest exports, a log-based metric declared in Terraform, Pub/Sub's own),
or one docs/reporting.md lists as awaited from another area."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from bloom.platform.registry import Capability
from bloom.reporting import export
from bloom.reporting.schemas import METRICS
from tests.support import terraform as tf
from tests.support.callgraph import Node
from tests.support.reach import SPECS, reached

ROOT = Path(__file__).resolve().parents[2]
METRIC_TYPE = re.compile(r'metric\.type = "([^"]+)"')
METRIC_LABEL = re.compile(r"metric\.label\.([a-z_]+)")
LOG_METRIC_PREFIX = "logging.googleapis.com/user/"
DEAD_LETTERS = "pubsub.googleapis.com/subscription/num_undelivered_messages"
EXPORT = Node("bloom.reporting.export", "export_day")


@cache
def _dashboards() -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """The dashboards' JSON, the log-based metrics' names, and the counting ones' definitions (key -> labels …)."""
    found = tf.evaluate(
        {
            "boards": "local.reporting_dashboard_json",
            "log_metrics": "local.log_metric_names",
            "counters": "local.log_counters",
        }
    )
    return found["boards"], found["log_metrics"], found["counters"]


def _tiles(board: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {tile["widget"]["title"]: tile["widget"] for tile in board["mosaicLayout"]["tiles"]}


def _filters(widget: dict[str, Any]) -> list[str]:
    """Every filter a chart runs (a ratio has two)."""
    filters: list[str] = []
    for data_set in widget["xyChart"]["dataSets"]:
        query = data_set["timeSeriesQuery"]
        if "timeSeriesFilter" in query:
            filters.append(query["timeSeriesFilter"]["filter"])
        else:
            ratio = query["timeSeriesFilterRatio"]
            filters.extend([ratio["numerator"]["filter"], ratio["denominator"]["filter"]])
    return filters


def _awaited() -> set[str]:
    """The metrics docs/reporting.md ("For other areas") says other areas' events will feed."""
    text = (ROOT / "docs" / "reporting.md").read_text()
    section = text.split("### For other areas", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Za-z]+)` \|", section, flags=re.MULTILINE))


def _log_metrics() -> dict[str, dict[str, str]]:
    """Declared log-based metrics by name -> their label extractors: the counters (one resource for_each over
    `local.log_counters`) and the latency distribution."""
    _, names, counters = _dashboards()
    counter = tf.resource("google_logging_metric", "counter")
    assert counter["for_each"] == "${local.log_counters}"
    assert counter["name"] == "${local.log_metric_names[each.key]}"
    assert counter["label_extractors"] == "${each.value.labels}"
    latency = tf.resource("google_logging_metric", "api_latency")
    assert latency["name"] == "${local.log_metric_names.api_latency}"
    return {names[key]: definition["labels"] for key, definition in counters.items()} | {names["api_latency"]: {}}


def test_the_five_dashboards_exist_with_the_spec_tiles() -> None:
    boards, _, _ = _dashboards()
    assert set(boards) == {"signups", "retention", "support", "credentialing", "api_health"}
    expected = {
        "signups": {"New users per day", "New users per day by partner"},
        "retention": {f"Share active again {weeks} week(s) after signup" for weeks in (1, 4, 12)},
        "support": {
            "Open tickets",
            "Mean minutes to first response (tickets answered that day)",
            "Mean minutes to resolution (tickets resolved that day)",
            "SLA breaches per day by kind",
        },
        "credentialing": {"Applications by status", "Approval rate (approved / decided)"},
        "api_health": {
            "Error rate (5xx / all requests)",
            "Latency p95 (s)",
            "429 answers per minute by function",
            "Dead letters waiting, by subscription",
        },
    }
    for key, titles in expected.items():
        assert titles <= set(_tiles(boards[key])), key
        assert boards[key]["displayName"].startswith("Bloom staging: ")
    dashboard = tf.resource("google_monitoring_dashboard", "reporting")
    assert dashboard["for_each"] == "${local.reporting_dashboard_json}"
    assert dashboard["dashboard_json"] == "${jsonencode(each.value)}"


def test_every_tile_reads_a_metric_that_is_produced() -> None:
    boards, _, _ = _dashboards()
    exported = set(export.exported_metric_types(METRICS))
    awaited = {export.metric_type(name) for name in _awaited()}
    log_metrics = {LOG_METRIC_PREFIX + name for name in _log_metrics()}
    for key, board in boards.items():
        for title, widget in _tiles(board).items():
            filters = _filters(widget)
            assert filters, (key, title)
            for query in filters:
                [metric] = METRIC_TYPE.findall(query)
                assert metric in exported | awaited | log_metrics | {DEAD_LETTERS}, (key, title, metric)


def test_awaited_metrics_are_not_exported_yet() -> None:
    """Once an awaited metric is exported, docs/reporting.md must stop listing it as awaited."""
    awaited = _awaited()
    assert not {export.metric_type(name) for name in awaited} & set(export.exported_metric_types(METRICS))


def test_the_support_and_credentialing_tiles_read_the_exported_figures() -> None:
    """The four tiles that waited for the support and credentialing events read exactly what the export writes."""
    boards, _, _ = _dashboards()
    exported = set(export.exported_metric_types(METRICS))
    tiles = {
        ("support", "Open tickets"): "supportOpenTickets",
        ("support", "Mean minutes to first response (tickets answered that day)"): "supportFirstResponseMinutes",
        ("support", "Mean minutes to resolution (tickets resolved that day)"): "supportResolutionMinutes",
        ("credentialing", "Applications by status"): "credentialingApplicationsByStatus",
    }
    for (board, title), name in tiles.items():
        [query] = _filters(_tiles(boards[board])[title])
        assert METRIC_TYPE.findall(query) == [export.metric_type(name)], title
        assert export.metric_type(name) in exported, name
    assert export.LABELLED_BREAKDOWNS["credentialingApplicationsByStatus"] == "status"


def test_the_labels_tiles_group_or_filter_by_are_extracted() -> None:
    boards, _, _ = _dashboards()
    exported_labels = {*export.LABELLED_BREAKDOWNS.values(), export.WEEKS_LABEL}
    log_metrics = _log_metrics()
    for board in boards.values():
        for widget in _tiles(board).values():
            for data_set in widget["xyChart"]["dataSets"]:
                query = str(data_set["timeSeriesQuery"])
                for metric in set(METRIC_TYPE.findall(query)):
                    labels = set(METRIC_LABEL.findall(query))
                    if metric.startswith(LOG_METRIC_PREFIX):
                        extracted = set(log_metrics[metric.removeprefix(LOG_METRIC_PREFIX)])
                        assert labels <= extracted, (widget["title"], labels)
                    elif metric.startswith(export.METRIC_PREFIX) and metric in export.exported_metric_types(METRICS):
                        assert labels <= exported_labels, (widget["title"], labels)


def test_the_log_based_metrics_read_our_own_log_lines() -> None:
    _, _, counters = _dashboards()
    assert counters["api_requests"]["labels"]["status"] == "EXTRACT(httpRequest.status)"
    assert 'jsonPayload.logger = "bloom.http"' in counters["api_requests"]["filter"]
    latency = tf.resource("google_logging_metric", "api_latency")
    assert "httpRequest.latency" in latency["value_extractor"] and latency["filter"] == "${local.api_request_line}"
    assert tf.unquote(latency["metric_descriptor"][0]["value_type"]) == "DISTRIBUTION"
    # the request line is logged by `bloom.http` (bloom.platform.http), the support lines by bloom.support.service
    platform_http = (ROOT / "shared" / "bloom" / "platform" / "http.py").read_text()
    assert '_log = get_logger("bloom.http")' in platform_http
    support = (ROOT / "shared" / "bloom" / "support" / "service.py").read_text()
    lines = {"support_tickets_opened": "support ticket created", "support_ticket_updates": "support ticket updated"}
    for key, line in lines.items():
        assert f'jsonPayload.message = "{line}"' in counters[key]["filter"]
        assert f'"{line}"' in support


def test_only_the_daily_digest_writes_metrics_and_it_is_granted_to_write_them() -> None:
    writers = {name for name, spec in SPECS.items() if Capability.METRIC_WRITER in spec.deployment.uses}
    assert writers == {"daily_digest"}
    for name, spec in SPECS.items():
        assert (EXPORT in reached(spec)) == (name in writers), name
    granted = tf.evaluate({"writers": "keys(local.metric_writers)"})["writers"]
    assert set(granted) == tf.profiles_of(lambda fn: "metric_writer" in fn["uses"])
    grant = tf.resource("google_project_iam_member", "metric_writer")
    assert grant["for_each"] == "${local.metric_writers}"
    assert tf.unquote(grant["role"]) == "roles/monitoring.metricWriter"
    assert tf.function_member(grant)
    function = tf.resource("google_cloudfunctions2_function", "function")
    variables = str(function["service_config"][0]["environment_variables"])
    assert 'contains(each.value.uses, "metric_writer")' in variables and "MONITORING_API_URL" in variables
