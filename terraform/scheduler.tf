# Cloud Scheduler publishes {"job": <function name>} to the job's topic, as `infra.cli fire` does locally.
# No event_id attribute: each run must dedupe on its own Pub/Sub message id.

resource "google_cloud_scheduler_job" "job" {
  for_each = local.scheduled_functions

  name        = each.value.deploy_name
  region      = var.region
  description = each.value.summary
  schedule    = each.value.schedule.cron
  time_zone   = each.value.schedule.time_zone

  pubsub_target {
    topic_name = google_pubsub_topic.topic[each.value.topic].id
    data       = base64encode(jsonencode({ job = each.key }))
  }

  depends_on = [google_project_service.api]
}
