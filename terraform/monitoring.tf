# Alerts and dashboards, derived from the manifest like everything else. Each policy emails var.alert_emails.
# Metric names: https://cloud.google.com/monitoring/api/metrics_gcp (pubsub, run, apigateway).

resource "google_monitoring_notification_channel" "email" {
  for_each = toset(var.alert_emails)

  display_name = "Bloom ${var.environment} alerts: ${each.value}"
  type         = "email"
  labels = {
    email_address = each.value
  }

  depends_on = [google_project_service.api]
}

locals {
  notification_channels = [for channel in google_monitoring_notification_channel.email : channel.id]
}

# A message some subscriber gave up on waits in a "<topic>.dead-letter" subscription: anything there needs a
# person (docs/deploy.md: dead-letters list, fix, replay).
resource "google_monitoring_alert_policy" "dead_letters" {
  display_name          = "Bloom ${var.environment}: dead letters waiting"
  combiner              = "OR"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "A dead-letter subscription holds undelivered messages"
    condition_threshold {
      filter = join(" AND ", [
        "resource.type = \"pubsub_subscription\"",
        "metric.type = \"pubsub.googleapis.com/subscription/num_undelivered_messages\"",
        "resource.label.subscription_id = monitoring.regex.full_match(\".*[.]dead-letter\")",
      ])
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "300s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_MAX"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.subscription_id"]
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A subscriber failed an event 10 times. `python -m infra.cli dead-letters list --project ${var.project_id}` shows which; fix the cause, then `dead-letters replay TOPIC --project ${var.project_id}` (docs/deploy.md)."
  }

  depends_on = [google_project_service.api]
}

# --- errors -------------------------------------------------------------------------------------------------

# Every function is a Cloud Run service named after it: HTTP functions answer the gateway, subscribers answer
# Pub/Sub pushes (a 5xx is a failed delivery, retried then dead-lettered).
resource "google_monitoring_alert_policy" "function_errors" {
  for_each = local.functions

  display_name          = "Bloom ${var.environment}: ${each.value.deploy_name} 5xx above ${var.error_rate_threshold * 100}%"
  combiner              = "OR"
  notification_channels = local.notification_channels
  user_labels           = merge(local.labels, { function = each.value.deploy_name })

  conditions {
    display_name = "Share of 5xx responses of ${each.value.deploy_name}"
    condition_threshold {
      filter = join(" AND ", [
        "resource.type = \"cloud_run_revision\"",
        "resource.label.service_name = \"${each.value.deploy_name}\"",
        "metric.type = \"run.googleapis.com/request_count\"",
        "metric.label.response_code_class = \"5xx\"",
      ])
      denominator_filter = join(" AND ", [
        "resource.type = \"cloud_run_revision\"",
        "resource.label.service_name = \"${each.value.deploy_name}\"",
        "metric.type = \"run.googleapis.com/request_count\"",
      ])
      comparison      = "COMPARISON_GT"
      threshold_value = var.error_rate_threshold
      duration        = "300s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
      }
      denominator_aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "${each.value.deploy_name} (${each.value.summary}) answers 5xx. Its logs: Cloud Logging, resource.labels.service_name=\"${each.value.deploy_name}\" severity>=ERROR."
  }

  depends_on = [google_project_service.api]
}

# The API's share of 5xx, where it is measured: at the gateway and, when there is one, at the API origin's load
# balancer (load_balancer.tf: everything it answers, the gateway's responses, the Cloud Run services' and its own
# 502s). Each is one condition of the same policy: the requests it counts, and what makes one a 5xx.
locals {
  api_request_counts = merge(
    {
      gateway = {
        at = "the gateway"
        requests = [
          "resource.type = \"apigateway.googleapis.com/Gateway\"",
          "resource.label.gateway_id = \"${google_api_gateway_gateway.bloom.gateway_id}\"",
          "metric.type = \"apigateway.googleapis.com/proxy/request_count\"",
        ]
        errors = "metric.label.response_code_class = \"5xx\""
      }
    },
    {
      for url_map in google_compute_url_map.api : "load_balancer" => {
        at = "the API origin's load balancer"
        requests = [
          "resource.type = \"https_lb_rule\"",
          "resource.label.url_map_name = \"${url_map.name}\"",
          "metric.type = \"loadbalancing.googleapis.com/https/request_count\"",
        ]
        errors = "metric.label.response_code_class = 500"
      }
    },
  )
}

resource "google_monitoring_alert_policy" "gateway_errors" {
  display_name          = "Bloom ${var.environment}: API 5xx above ${var.error_rate_threshold * 100}%"
  combiner              = "OR"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  dynamic "conditions" {
    for_each = local.api_request_counts
    content {
      display_name = "Share of 5xx responses at ${conditions.value.at}"
      condition_threshold {
        filter             = join(" AND ", concat(conditions.value.requests, [conditions.value.errors]))
        denominator_filter = join(" AND ", conditions.value.requests)
        comparison         = "COMPARISON_GT"
        threshold_value    = var.error_rate_threshold
        duration           = "300s"
        aggregations {
          alignment_period     = "300s"
          per_series_aligner   = "ALIGN_RATE"
          cross_series_reducer = "REDUCE_SUM"
        }
        denominator_aggregations {
          alignment_period     = "300s"
          per_series_aligner   = "ALIGN_RATE"
          cross_series_reducer = "REDUCE_SUM"
        }
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The API answers 5xx: a function failing (see its own alert), or the gateway unable to reach one (503/504). At the load balancer only: a Cloud Run service failing, or the load balancer unable to reach a backend (its request logs: jsonPayload.statusDetails)."
  }

  depends_on = [google_project_service.api]
}

# --- the outbox ---------------------------------------------------------------------------------------------

# The sweeper logs, each minute, how long the oldest event left unpublished has waited ("outbox swept",
# oldest_age_s: bloom.platform.store.outbox.sweep). Over 5 minutes means events are not reaching Pub/Sub.
resource "google_logging_metric" "outbox_oldest_age" {
  name        = "bloom/outbox_oldest_age"
  description = "Seconds the oldest unpublished outbox event has waited, as the sweeper saw it."
  filter = join(" AND ", [
    "resource.type = \"cloud_run_revision\"",
    "resource.labels.service_name = (${join(" OR ", [for fn in local.outbox_sweepers : "\"${fn.deploy_name}\""])})",
    "jsonPayload.message = \"outbox swept\"",
  ])
  value_extractor = "EXTRACT(jsonPayload.oldest_age_s)"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "DISTRIBUTION"
    unit        = "s"
  }

  bucket_options {
    exponential_buckets {
      num_finite_buckets = 16
      growth_factor      = 2
      scale              = 1
    }
  }
}

# A new log-based metric is unknown to Cloud Monitoring for up to 10 minutes, and an alert on it fails with 404
# meanwhile (hashicorp/terraform-provider-google#11102): the alert waits that long after the metric is created.
resource "time_sleep" "outbox_metric_known" {
  create_duration = "600s"

  triggers = {
    metric = google_logging_metric.outbox_oldest_age.id
  }
}

resource "google_monitoring_alert_policy" "outbox_age" {
  display_name          = "Bloom ${var.environment}: outbox events older than 5 minutes"
  combiner              = "OR"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "The oldest unpublished outbox event waited over 300 s"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${google_logging_metric.outbox_oldest_age.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 300
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_PERCENTILE_99"
        cross_series_reducer = "REDUCE_MAX"
      }
    }
  }

  # No sweep logged for 10 minutes: the sweeper itself is down, and nothing would report an old outbox.
  conditions {
    display_name = "The outbox sweeper has not run for 10 minutes"
    condition_absent {
      filter   = "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${google_logging_metric.outbox_oldest_age.name}\""
      duration = "600s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_COUNT"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Events stay in Firestore's outbox: Pub/Sub unreachable or refusing (the sweeper's warnings say why), or the sweeper not running (its Cloud Scheduler job, its own errors)."
  }

  depends_on = [google_project_service.api, time_sleep.outbox_metric_known]
}

# --- uptime ---------------------------------------------------------------------------------------------------

# Each health route, through the public gateway, from three regions every minute.
resource "google_monitoring_uptime_check_config" "health" {
  for_each = local.probed_functions

  display_name = "Bloom ${var.environment}: GET ${each.value.http.path}"
  timeout      = "10s"
  period       = "60s"

  http_check {
    path           = each.value.http.path
    port           = 443
    use_ssl        = true
    validate_ssl   = true
    request_method = "GET"
    accepted_response_status_codes {
      status_class = "STATUS_CLASS_2XX"
    }
  }

  monitored_resource {
    type = "uptime_url"
    labels = {
      project_id = var.project_id
      host       = google_api_gateway_gateway.bloom.default_hostname
    }
  }

  selected_regions = ["EUROPE", "USA", "ASIA_PACIFIC"]

  depends_on = [google_project_service.api]
}

resource "google_monitoring_alert_policy" "uptime" {
  for_each = local.probed_functions

  display_name          = "Bloom ${var.environment}: GET ${each.value.http.path} failing"
  combiner              = "OR"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "Uptime check of ${each.value.http.path} failing from 2+ regions"
    condition_threshold {
      filter = join(" AND ", [
        "resource.type = \"uptime_url\"",
        "metric.type = \"monitoring.googleapis.com/uptime_check/check_passed\"",
        "metric.label.check_id = \"${google_monitoring_uptime_check_config.health[each.key].uptime_check_id}\"",
      ])
      comparison      = "COMPARISON_GT"
      threshold_value = 1
      duration        = "120s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_NEXT_OLDER"
        cross_series_reducer = "REDUCE_COUNT_FALSE"
        group_by_fields      = ["resource.label.host"]
      }
    }
  }

  depends_on = [google_project_service.api]
}

# --- dashboards -----------------------------------------------------------------------------------------------

locals {
  # One dashboard per function: requests by status class, latency percentiles, instances; for subscribers, the
  # backlog and age of their push subscription.
  run_filter = { for name, fn in local.functions : name => "resource.type = \"cloud_run_revision\" AND resource.label.service_name = \"${fn.deploy_name}\"" }
  function_tiles = {
    for name, fn in local.functions : name => concat(
      [
        {
          title = "Requests by status class"
          xyChart = { dataSets = [{
            plotType = "STACKED_BAR"
            timeSeriesQuery = { timeSeriesFilter = {
              filter      = "${local.run_filter[name]} AND metric.type = \"run.googleapis.com/request_count\""
              aggregation = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_RATE", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["metric.label.response_code_class"] }
            } }
          }] }
        },
        {
          title = "Latency p50 / p95 / p99"
          xyChart = { dataSets = [for aligner in ["ALIGN_PERCENTILE_50", "ALIGN_PERCENTILE_95", "ALIGN_PERCENTILE_99"] : {
            plotType = "LINE"
            timeSeriesQuery = { timeSeriesFilter = {
              filter      = "${local.run_filter[name]} AND metric.type = \"run.googleapis.com/request_latencies\""
              aggregation = { alignmentPeriod = "60s", perSeriesAligner = aligner, crossSeriesReducer = "REDUCE_MAX" }
            } }
          }] }
        },
        {
          title = "Instances"
          xyChart = { dataSets = [{
            plotType = "LINE"
            timeSeriesQuery = { timeSeriesFilter = {
              filter      = "${local.run_filter[name]} AND metric.type = \"run.googleapis.com/container/instance_count\""
              aggregation = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_MAX", crossSeriesReducer = "REDUCE_SUM" }
            } }
          }] }
        },
      ],
      fn.kind == "http" ? [] : [
        for metric in ["num_undelivered_messages", "oldest_unacked_message_age"] : {
          title = "Push subscription: ${metric}"
          xyChart = { dataSets = [{
            plotType = "LINE"
            timeSeriesQuery = { timeSeriesFilter = {
              filter      = "resource.type = \"pubsub_subscription\" AND resource.label.subscription_id = \"${fn.deploy_name}-push\" AND metric.type = \"pubsub.googleapis.com/subscription/${metric}\""
              aggregation = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_MAX" }
            } }
          }] }
        }
      ]
    )
  }
}

resource "google_monitoring_dashboard" "function" {
  for_each = local.functions

  dashboard_json = jsonencode({
    displayName = "Bloom ${var.environment}: ${each.value.deploy_name}"
    mosaicLayout = {
      columns = 12
      tiles = [
        for index, tile in local.function_tiles[each.key] : {
          xPos   = (index % 2) * 6
          yPos   = floor(index / 2) * 4
          width  = 6
          height = 4
          widget = tile
        }
      ]
    }
  })

  depends_on = [google_project_service.api]
}
