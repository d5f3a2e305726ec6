# The product dashboards (their JSON: monitoring_dashboards.tf), the log-based metrics they read, and the grant
# that lets the daily digest write its figures as custom metrics (Capability.METRIC_WRITER, bloom.reporting.export).

resource "google_monitoring_dashboard" "reporting" {
  for_each = local.reporting_dashboard_json

  dashboard_json = jsonencode(each.value)

  depends_on = [google_project_service.api]
}

# Cloud Run moves the `httpRequest` of our JSON request line (bloom.platform.http: one per HTTP call, with the
# status and the latency as "0.1234s") into the log entry's own httpRequest field.
locals {
  api_request_line = join(" AND ", [
    "resource.type = \"cloud_run_revision\"",
    "jsonPayload.logger = \"bloom.http\"",
    "httpRequest.status >= 100",
  ])
}

resource "google_logging_metric" "api_requests" {
  name        = local.log_metric_names.api_requests
  description = "Requests our HTTP functions answered, by status and function (the error rate and the 429s)."
  filter      = local.api_request_line

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key        = "status"
      value_type = "STRING"
    }
    labels {
      key        = "function"
      value_type = "STRING"
    }
  }

  label_extractors = {
    status   = "EXTRACT(httpRequest.status)"
    function = "EXTRACT(jsonPayload.function)"
  }
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

# The support area's log lines (bloom.support.service): ids and the priority or status only.
resource "google_logging_metric" "support_tickets_opened" {
  name        = local.log_metric_names.support_tickets_opened
  description = "Support tickets opened, by priority."
  filter      = "resource.type = \"cloud_run_revision\" AND jsonPayload.message = \"support ticket created\""

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key        = "priority"
      value_type = "STRING"
    }
  }

  label_extractors = {
    priority = "EXTRACT(jsonPayload.priority)"
  }
}

resource "google_logging_metric" "support_ticket_updates" {
  name        = local.log_metric_names.support_ticket_updates
  description = "Support ticket changes by an admin, by the status the ticket has after the change."
  filter      = "resource.type = \"cloud_run_revision\" AND jsonPayload.message = \"support ticket updated\""

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key        = "status"
      value_type = "STRING"
    }
  }

  label_extractors = {
    status = "EXTRACT(jsonPayload.status)"
  }
}

# The credentialing area's log lines (bloom.credentialing.applications): created (draft), submitted, and an
# admin's change with the status after it.
resource "google_logging_metric" "credentialing_changes" {
  name        = local.log_metric_names.credentialing_changes
  description = "Credentialing application changes: created, submitted, or updated by an admin (with the new status)."
  filter = join(" AND ", [
    "resource.type = \"cloud_run_revision\"",
    "jsonPayload.message = (\"credentialing application created\" OR \"credentialing application submitted\" OR \"credentialing application updated\")",
  ])

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key        = "event"
      value_type = "STRING"
    }
    labels {
      key        = "status"
      value_type = "STRING"
    }
  }

  # created (to draft), submitted (to submitted), updated (by an admin, to the status the line carries).
  label_extractors = {
    event  = "REGEXP_EXTRACT(jsonPayload.message, \"^credentialing application (created|submitted|updated)$\")"
    status = "EXTRACT(jsonPayload.status)"
  }
}

# Writing custom metrics, for the functions declaring Capability.METRIC_WRITER (the daily digest).
resource "google_project_iam_member" "metric_writer" {
  for_each = local.metric_writers

  project = var.project_id
  role    = "roles/monitoring.metricWriter"
  member  = "serviceAccount:${google_service_account.grant_profile[each.key].email}"
}
