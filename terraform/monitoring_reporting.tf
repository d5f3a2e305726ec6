# The product dashboards (their JSON: monitoring_dashboards.tf), the log-based metrics they read, and the grant
# that lets the daily digest write its figures as custom metrics (Capability.METRIC_WRITER, bloom.reporting.export).

resource "google_monitoring_dashboard" "reporting" {
  for_each = local.reporting_dashboard_json

  dashboard_json = jsonencode(each.value)

  depends_on = [google_project_service.api]
}

# The counters of monitoring_dashboards.tf's local.log_counters, each label a STRING extracted from the entry.
resource "google_logging_metric" "counter" {
  for_each = local.log_counters

  name        = local.log_metric_names[each.key]
  description = each.value.description
  filter      = each.value.filter

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    dynamic "labels" {
      for_each = each.value.labels
      content {
        key        = labels.key
        value_type = "STRING"
      }
    }
  }

  label_extractors = each.value.labels
}

resource "google_logging_metric" "api_latency" {
  name            = local.log_metric_names.api_latency
  description     = "Seconds our HTTP functions took to answer (the p95 latency)."
  filter          = local.api_request_line
  value_extractor = "REGEXP_EXTRACT(httpRequest.latency, \"^([0-9.]+)s$\")"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "DISTRIBUTION"
    unit        = "s"
  }

  bucket_options {
    exponential_buckets {
      num_finite_buckets = 20
      growth_factor      = 1.6
      scale              = 0.005
    }
  }
}

# Writing custom metrics, for the functions declaring Capability.METRIC_WRITER (the daily digest).
resource "google_project_iam_member" "metric_writer" {
  for_each = local.metric_writers

  project = var.project_id
  role    = "roles/monitoring.metricWriter"
  member  = "serviceAccount:${google_service_account.grant_profile[each.key].email}"
}
