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
# person (README, "Deploy": dead-letters list, fix, replay).
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
    content   = "A subscriber failed an event 10 times. `python -m infra.cli dead-letters list --project ${var.project_id}` shows which; fix the cause, then `dead-letters replay TOPIC --project ${var.project_id}` (README, Deploy)."
  }

  depends_on = [google_project_service.api]
}
