# Topics: one per domain event and one per scheduled job (jobs.<name>), each with a "<topic>.dead-letter" topic,
# from the manifest.
#
# Delivery. Each subscriber (event or scheduled function) gets its own push subscription to its Cloud Run URL,
# authenticated with an OIDC token of the push service account, the only principal that may invoke subscribers
# (functions.tf). A message its function keeps failing is retried with exponential backoff, and after
# 10 attempts moved to the topic's dead-letter topic, where the "<topic>.dead-letter" pull subscription keeps it
# 7 days: `python -m infra.cli dead-letters list|replay TOPIC --project PROJECT` (docs/deploy.md).
# Resource reference: https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/pubsub_subscription
# (push_config.oidc_token, dead_letter_policy, retry_policy); the service agent's grants below are what
# https://cloud.google.com/pubsub/docs/handling-failures#grant_forwarding_permissions asks for.

# The Pub/Sub service agent exists only once something asks for it; on a fresh project, this does.
resource "google_project_service_identity" "pubsub" {
  provider = google-beta

  project = var.project_id
  service = "pubsub.googleapis.com"

  depends_on = [google_project_service.api]
}

locals {
  pubsub_service_agent = "serviceAccount:${google_project_service_identity.pubsub.email}"
}

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

# Pub/Sub signs each push with a token for this account; it holds no role but run.invoker on the subscribers.
resource "google_service_account" "push" {
  account_id   = "bloom-pubsub-push"
  display_name = "Bloom Pub/Sub push (invokes the event and scheduled functions)"
}

# The Pub/Sub service agent mints those tokens. Projects created before 8 April 2021 lack this by default
# (https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions); granted on this one account only.
resource "google_service_account_iam_member" "push_token_creator" {
  service_account_id = google_service_account.push.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent
}

resource "google_pubsub_subscription" "push" {
  for_each = local.event_functions

  name   = "${each.value.deploy_name}-push"
  topic  = google_pubsub_topic.topic[each.value.topic].id
  labels = local.labels

  # A push waits for the function's answer up to the ack deadline, so it is at least the function's timeout
  # (the manifest keeps subscriber timeouts within Pub/Sub's 10-600 s).
  ack_deadline_seconds       = each.value.timeout_s
  message_retention_duration = "604800s"

  push_config {
    push_endpoint = google_cloudfunctions2_function.function[each.key].service_config[0].uri

    oidc_token {
      service_account_email = google_service_account.push.email
      audience              = google_cloudfunctions2_function.function[each.key].service_config[0].uri
    }
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.topic["${each.value.topic}.dead-letter"].id
    max_delivery_attempts = 10
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [
    google_pubsub_topic_iam_member.dead_letter_publisher,
    google_service_account_iam_member.push_token_creator,
  ]
}

# Dead-lettering needs the service agent to publish to the dead-letter topic and to subscribe to (acknowledge
# on) the source subscription.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = local.topics

  topic  = google_pubsub_topic.topic["${each.key}.dead-letter"].id
  role   = "roles/pubsub.publisher"
  member = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "dead_letter_forwarder" {
  for_each = local.event_functions

  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
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
