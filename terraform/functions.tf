# One Cloud Function (2nd gen) per registered function, each with its own service account so IAM grants
# only what that function declares (Firestore, Pub/Sub publishing, its secrets).

resource "google_service_account" "function" {
  for_each = local.functions

  account_id   = local.service_account_ids[each.key]
  display_name = "Bloom function ${each.value.deploy_name}"
  description  = each.value.summary
}

# Builds the function containers (Cloud Build) instead of the default compute service account, with the
# minimal roles a Cloud Functions build needs: read the uploaded source, push the image, write build logs.
resource "google_service_account" "build" {
  account_id   = "bloom-function-build"
  display_name = "Bloom function builds"
}

resource "google_project_iam_member" "build" {
  for_each = toset(["roles/artifactregistry.writer", "roles/logging.logWriter", "roles/storage.objectViewer"])

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.build.email}"
}

resource "google_cloudfunctions2_function" "function" {
  for_each = local.functions

  name        = each.value.deploy_name
  location    = var.region
  description = each.value.summary
  labels      = local.labels

  build_config {
    runtime         = "python311"
    entry_point     = each.value.entry_point
    service_account = google_service_account.build.id

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.bundle.name
      }
    }
  }

  service_config {
    available_memory               = "${each.value.memory_mb}M"
    timeout_seconds                = each.value.timeout_s
    max_instance_count             = var.max_instance_count
    service_account_email          = google_service_account.function[each.key].email
    all_traffic_on_latest_revision = true
    # HTTP functions are reached through API Gateway, which is not "internal" traffic; they stay private
    # because only the gateway's service account may invoke them. Eventarc deliveries are internal.
    ingress_settings = each.value.kind == "http" ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"

    environment_variables = {
      GOOGLE_CLOUD_PROJECT     = var.project_id
      BLOOM_ENV                = var.environment
      BLOOM_CORS_ORIGINS       = join(",", var.frontend_origins)
      BLOOM_TRUSTED_PROXY_HOPS = tostring(var.trusted_proxy_hops)
    }

    dynamic "secret_environment_variables" {
      for_each = toset(each.value.secrets)
      content {
        key        = secret_environment_variables.value
        project_id = var.project_id
        secret     = google_secret_manager_secret.secret[secret_environment_variables.value].secret_id
        version    = "latest"
      }
    }
  }

  # Event and scheduled functions: Eventarc creates a push subscription on the topic (see pubsub.tf).
  dynamic "event_trigger" {
    for_each = each.value.topic == null ? [] : [each.value.topic]
    content {
      trigger_region        = var.region
      event_type            = "google.cloud.pubsub.topic.v1.messagePublished"
      pubsub_topic          = google_pubsub_topic.topic[event_trigger.value].id
      retry_policy          = "RETRY_POLICY_RETRY"
      service_account_email = google_service_account.function[each.key].email
    }
  }

  depends_on = [
    google_project_service.api,
    google_project_iam_member.build,
    google_secret_manager_secret_iam_member.accessor,
  ]
}

# Who may invoke each function's Cloud Run service: the gateway for HTTP functions, the function's own
# service account (the Eventarc trigger identity) for event and scheduled ones. Nothing is public.
# (Projects created before 8 April 2021 also need the Pub/Sub service agent to hold
# roles/iam.serviceAccountTokenCreator for authenticated push; newer projects have it built in.)
resource "google_cloud_run_service_iam_member" "invoker" {
  for_each = local.functions

  location = google_cloudfunctions2_function.function[each.key].location
  service  = google_cloudfunctions2_function.function[each.key].name
  role     = "roles/run.invoker"
  member = (
    each.value.kind == "http"
    ? "serviceAccount:${google_service_account.gateway.email}"
    : "serviceAccount:${google_service_account.function[each.key].email}"
  )
}

resource "google_project_iam_member" "firestore" {
  for_each = local.functions

  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${google_service_account.function[each.key].email}"
}

# Functions that declare the Pub/Sub SDK (the outbox publishers) may publish to the manifest's topics only.
resource "google_pubsub_topic_iam_member" "publisher" {
  for_each = local.publisher_topics

  topic  = google_pubsub_topic.topic[each.value.topic].id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:${google_service_account.function[each.value.function].email}"
}

# Firebase Auth accounts: functions that declare Capability.FIREBASE_AUTH_ADMIN create, look up, change and delete
# accounts through the Identity Toolkit admin API (firebase_admin.auth), which checks firebaseauth.users.* on the
# project. Accounts are not IAM resources of their own, so the grant is on the project, but of a custom role
# holding exactly those four permissions (roles/firebaseauth.admin also has firebaseauth.configs.*), and only to
# the declaring functions. Permissions: https://cloud.google.com/iam/docs/roles-permissions/firebaseauth
resource "google_project_iam_custom_role" "firebase_accounts" {
  role_id     = "bloomFirebaseAccounts"
  title       = "Bloom: manage Firebase Auth accounts"
  description = "Create, read, update and delete Firebase Auth users; nothing of the Auth configuration."
  permissions = [
    "firebaseauth.users.create",
    "firebaseauth.users.delete",
    "firebaseauth.users.get",
    "firebaseauth.users.update",
  ]
}

resource "google_project_iam_member" "firebase_accounts" {
  for_each = local.account_managers

  project = var.project_id
  role    = google_project_iam_custom_role.firebase_accounts.name
  member  = "serviceAccount:${google_service_account.function[each.key].email}"
}
