# One Cloud Function (2nd gen) per registered function. Each runs as the service account of its grant profile
# (manifest.tf): the functions declaring exactly the same grants (Firestore, Pub/Sub publishing, secrets,
# capabilities) share one account, which IAM grants that and nothing more.

resource "google_service_account" "grant_profile" {
  for_each = local.grant_profiles

  account_id   = each.key
  display_name = "Bloom functions: ${length(each.value.functions)} sharing one grant profile"
  description  = substr("Runs ${join(", ", each.value.functions)}", 0, 256)
}

# Builds the function containers (Cloud Build) instead of the default compute service account, with what a
# Cloud Functions build needs and no more (https://cloud.google.com/functions/docs/securing/build-custom-sa). The
# account and its project-wide grants (build logs, and reading the gcf-v2-sources-* buckets Cloud Functions copies
# each function's source into, provider issue 20571) are the bootstrap's (terraform/bootstrap), applied by an owner:
# IAM limits which roles the deployer may grant, not to whom, so a storage role it could grant on the project it
# could grant to itself. Here, on resources this configuration owns: reading the bundle in the source bucket and
# pushing images to the one repository below.
data "google_service_account" "build" {
  account_id = "bloom-function-build"
  project    = var.project_id
}

resource "google_storage_bucket_iam_member" "build_source" {
  bucket = google_storage_bucket.source.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${data.google_service_account.build.email}"
}

# IAM grants take a while to reach every service; a build started right after them fails on a fresh project. The
# provider's own Cloud Functions builder example waits the same way after the build account's grants.
resource "time_sleep" "build_grants" {
  create_duration = "60s"

  depends_on = [
    google_storage_bucket_iam_member.build_source,
    google_artifact_registry_repository_iam_member.build,
  ]
}

# The function images, in a repository Terraform owns (not the implicit gcf-artifacts one) so that its
# cleanup policy and its only writer are declared here. Each function's images are one package: the 5
# newest versions of each are kept (the running one is always the newest), older ones go after 30 days.
resource "google_artifact_registry_repository" "functions" {
  #checkov:skip=CKV_GCP_84:Google-managed encryption at rest; CMEK needs a key-management process (permanent key ring, rotation, service-agent grants) that is not set up yet.
  repository_id          = "bloom-functions"
  location               = var.region
  format                 = "DOCKER"
  description            = "Bloom function images, built by Cloud Functions from the source bundle."
  labels                 = local.labels
  cleanup_policy_dry_run = false

  cleanup_policies {
    id     = "keep-newest-versions"
    action = "KEEP"
    most_recent_versions {
      keep_count = 5
    }
  }

  cleanup_policies {
    id     = "delete-older-than-30-days"
    action = "DELETE"
    condition {
      tag_state  = "ANY"
      older_than = "2592000s"
    }
  }

  depends_on = [google_project_service.api]
}

resource "google_artifact_registry_repository_iam_member" "build" {
  location   = google_artifact_registry_repository.functions.location
  repository = google_artifact_registry_repository.functions.name
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${data.google_service_account.build.email}"
}

resource "google_cloudfunctions2_function" "function" {
  for_each = local.functions

  name        = each.value.deploy_name
  location    = var.region
  description = each.value.summary
  labels      = local.labels

  build_config {
    runtime           = "python311"
    entry_point       = each.value.entry_point
    service_account   = data.google_service_account.build.name
    docker_repository = google_artifact_registry_repository.functions.id

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.function_source[each.key].name
      }
    }
  }

  service_config {
    available_memory               = "${each.value.memory_mb}M"
    timeout_seconds                = each.value.timeout_s
    max_instance_count             = var.max_instance_count
    service_account_email          = google_service_account.grant_profile[each.value.grant_profile].email
    all_traffic_on_latest_revision = true
    # HTTP functions are reached through API Gateway, which is not "internal" traffic; they stay private
    # because only the gateway's service account may invoke them. Pub/Sub pushes from the same project count as
    # internal (https://cloud.google.com/run/docs/securing/ingress).
    ingress_settings = each.value.kind == "http" ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"

    environment_variables = merge(
      {
        GOOGLE_CLOUD_PROJECT     = var.project_id
        BLOOM_ENV                = var.environment
        BLOOM_CORS_ORIGINS       = join(",", var.frontend_origins)
        BLOOM_TRUSTED_PROXY_HOPS = tostring(var.trusted_proxy_hops)
        SIMPLYBOOK_COMPANY       = var.simplybook_company
        WEBAUTHN_RP_ID           = var.webauthn_rp_id
        WEBAUTHN_ORIGINS         = join(",", var.frontend_origins)
        CRISP_WEBSITE_ID         = var.crisp_website_id
        MAILCHIMP_API_URL        = var.mailchimp_api_url
        MAILCHIMP_AUDIENCE_ID    = var.mailchimp_audience_id
        EMBEDDINGS               = "vertex" # credentialing's text embeddings (bloom.credentialing.embeddings)
        VERTEX_LOCATION          = var.region
      },
      { for name, bucket in local.buckets : bucket.env_var => google_storage_bucket.declared[name].name },
      var.api_url == null ? {} : { BLOOM_API_URL = var.api_url },
      var.billing_provider == null ? {} : {
        BILLING_PROVIDER_NAME        = var.billing_provider.name
        BILLING_PROVIDER_NPI         = var.billing_provider.npi
        BILLING_PROVIDER_TAX_ID      = var.billing_provider.tax_id
        BILLING_PROVIDER_ADDRESS1    = var.billing_provider.address1
        BILLING_PROVIDER_CITY        = var.billing_provider.city
        BILLING_PROVIDER_STATE       = var.billing_provider.state
        BILLING_PROVIDER_POSTAL_CODE = var.billing_provider.postal_code
      },
      # The records KEK, for the functions granted it only (Capability.CLINICAL_KEYS, kms.tf).
      contains(each.value.uses, "clinical_keys") ? { KMS_KEY_URI = "gcp-kms://${google_kms_crypto_key.records_kek.id}" } : {},
      # Where the daily digest writes its figures (Capability.METRIC_WRITER, monitoring_reporting.tf).
      contains(each.value.uses, "metric_writer") ? { MONITORING_API_URL = "https://monitoring.googleapis.com" } : {},
    )

    dynamic "secret_environment_variables" {
      for_each = toset(each.value.secrets)
      content {
        key        = secret_environment_variables.value
        project_id = var.project_id
        secret     = google_secret_manager_secret.secret[secret_environment_variables.value].secret_id
        # Pinned (var.secret_versions): a new value reaches a function through a reviewed plan, never by itself.
        version = var.secret_versions[secret_environment_variables.value]
      }
    }
  }

  lifecycle {
    precondition {
      condition     = alltrue([for secret in each.value.secrets : contains(keys(var.secret_versions), secret)])
      error_message = "${each.value.deploy_name} reads ${join(", ", each.value.secrets)}: pin a version of each in secret_versions (docs/deploy.md, Secrets)."
    }
  }

  depends_on = [
    google_project_service.api,
    time_sleep.build_grants,
    google_secret_manager_secret_iam_member.accessor,
  ]
}

# Who may invoke each function's Cloud Run service: the gateway's account for HTTP functions, the push account
# (pubsub.tf) for event and scheduled ones. Nothing is public. The binding is authoritative for roles/run.invoker
# on the service: an invoker added by hand is removed at the next apply.
resource "google_cloud_run_v2_service_iam_binding" "invoker" {
  for_each = local.functions

  project  = var.project_id
  location = google_cloudfunctions2_function.function[each.key].location
  name     = google_cloudfunctions2_function.function[each.key].name
  role     = "roles/run.invoker"
  members = [
    each.value.kind == "http"
    ? "serviceAccount:${google_service_account.gateway.email}"
    : "serviceAccount:${google_service_account.push.email}"
  ]
}

# Firestore, for the profiles whose functions declare its SDK (every subscriber does: it records processed
# events). Firestore's IAM is per project; there is one database.
resource "google_project_iam_member" "firestore" {
  for_each = local.firestore_profiles

  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${google_service_account.grant_profile[each.key].email}"
}

# Publishing, per topic, to the functions whose declarations say they emit to it (`emits=`, or every event topic
# for the outbox sweeper). Job topics are published by Cloud Scheduler only.
resource "google_pubsub_topic_iam_member" "publisher" {
  for_each = local.publisher_topics

  topic  = google_pubsub_topic.topic[each.value.topic].id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:${google_service_account.grant_profile[each.value.profile].email}"
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

# Vertex AI text embeddings (Capability.VERTEX_AI: credentialing's ingestion).
resource "google_project_iam_member" "vertex_ai" {
  for_each = local.embedders

  project = var.project_id
  role    = "roles/aiplatform.user"
  member  = "serviceAccount:${google_service_account.grant_profile[each.key].email}"
}

resource "google_project_iam_member" "firebase_accounts" {
  for_each = local.account_managers

  project = var.project_id
  role    = google_project_iam_custom_role.firebase_accounts.name
  member  = "serviceAccount:${google_service_account.grant_profile[each.key].email}"
}
