# Topics: one per domain event and one per scheduled job (jobs.<name>), from the manifest.
#
# Dead-lettering. Each event_trigger makes Eventarc create and own a push subscription on the topic.
# Neither google_cloudfunctions2_function nor google_eventarc_trigger can set that subscription's
# dead_letter_policy (hashicorp/terraform-provider-google #17697 and #25069 are open), and a hand edit is lost
# whenever the trigger is recreated. So Terraform creates the "<topic>.dead-letter" topics, a subscription on
# each (a topic without one retains nothing) and the Pub/Sub service agent's publisher grant; attaching them
# is a post-apply step per trigger:
#   gcloud pubsub subscriptions update SUBSCRIPTION --dead-letter-topic=TOPIC.dead-letter --max-delivery-attempts=10
#   gcloud pubsub subscriptions add-iam-policy-binding SUBSCRIPTION \
#     --member=serviceAccount:service-PROJECT_NUMBER@gcp-sa-pubsub.iam.gserviceaccount.com --role=roles/pubsub.subscriber
# (the subscription name is on the function's Eventarc trigger: `gcloud eventarc triggers describe`). Until
# then a message that keeps failing is retried with backoff until the subscription's retention (24 h) ends.
# The alternative that Terraform fully controls is a google_pubsub_subscription with push_config (OIDC as the
# function's service account) and dead_letter_policy instead of event_trigger.

resource "google_pubsub_topic" "topic" {
  #checkov:skip=CKV_GCP_83:Google-managed encryption at rest; CMEK needs a key-management process (permanent key ring, rotation, service-agent grants) that is not set up yet.
  for_each = local.pubsub_topics

  name                       = each.key
  labels                     = local.labels
  message_retention_duration = each.value.retention

  message_storage_policy {
    allowed_persistence_regions = [var.region]
  }

  depends_on = [google_project_service.api]
}

# Where someone inspects (and replays) dead letters; keeps them for the 7-day maximum and never expires.
resource "google_pubsub_subscription" "dead_letter" {
  for_each = local.topics

  name                       = "${each.key}.dead-letter"
  topic                      = google_pubsub_topic.topic["${each.key}.dead-letter"].id
  labels                     = local.labels
  message_retention_duration = "604800s"
  ack_deadline_seconds       = 60

  expiration_policy {
    ttl = ""
  }
}

resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = local.topics

  topic  = google_pubsub_topic.topic["${each.key}.dead-letter"].id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}
