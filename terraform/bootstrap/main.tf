# Bootstrap: what an environment needs before CI and CD can run, applied once per environment by a project owner
# (README, "Deploy", first deploy). It creates the deployer account CD runs as, with only the roles the main
# configuration's resources need; read-only roles for the CI account, which plans every environment; the CD
# trigger (approval required); and, in the CI project, the CI account, its artifacts bucket and the CI trigger.
#
# Order: the CI project's bootstrap first (it creates the CI account the others grant to).

locals {
  environments_dir = "${path.module}/../environments"
  # The state bucket is written once, in the environment's .tfbackend, which `terraform init` reads too.
  state_bucket = regex("bucket\\s*=\\s*\"([^\"]+)\"", file("${local.environments_dir}/${var.environment}.gcs.tfbackend"))[0]

  is_ci_project    = var.project_id == var.ci_project_id
  ci_account       = "bloom-ci@${var.ci_project_id}.iam.gserviceaccount.com"
  artifacts_bucket = "${var.ci_project_id}-bloom-ci-plans"

  # What the deployer needs for the resources of ../*.tf, and no data access beyond them: it never reads
  # Firestore documents or secret values. Project IAM changes are limited by a condition to the roles the
  # configuration grants (deployer_project_iam below).
  deployer_roles = toset([
    "roles/apigateway.admin",               # API, configs, gateway
    "roles/artifactregistry.admin",         # the functions' image repository and its IAM
    "roles/cloudfunctions.developer",       # the functions
    "roles/cloudscheduler.admin",           # scheduler jobs
    "roles/datastore.indexAdmin",           # composite indexes and TTL fields
    "roles/iam.roleAdmin",                  # the Firebase accounts custom role
    "roles/iam.serviceAccountAdmin",        # the functions', build, gateway and push accounts (and the push account's IAM)
    "roles/iam.serviceAccountUser",         # attach those accounts to functions, builds, gateway, subscriptions
    "roles/logging.logWriter",              # this build's own logs
    "roles/monitoring.editor",              # alert policies, uptime check, dashboards, notification channels
    "roles/pubsub.admin",                   # topics, subscriptions and their IAM
    "roles/run.admin",                      # the functions' Cloud Run services' invoker bindings
    "roles/serviceusage.serviceUsageAdmin", # enabling APIs, the Pub/Sub service agent
    "roles/storage.admin",                  # the source bucket and bundle, and the state
    "projects/${var.project_id}/roles/${google_project_iam_custom_role.deployer_extra.role_id}",
  ])

  # Roles the main configuration grants on the project (functions.tf): the only ones the deployer may grant.
  grantable_roles = [
    "roles/datastore.user",
    "roles/logging.logWriter",
    "projects/${var.project_id}/roles/bloomFirebaseAccounts",
  ]

  # Reading configuration to plan, never data: no Firestore documents, secret values or message contents.
  planner_roles = toset([
    "roles/apigateway.viewer",
    "roles/artifactregistry.reader",
    "roles/cloudfunctions.viewer",
    "roles/cloudscheduler.viewer",
    "roles/iam.securityReviewer", # every IAM policy, role and service account
    "roles/monitoring.viewer",
    "roles/pubsub.viewer",
    "roles/run.viewer",
    "roles/secretmanager.viewer", # secrets' metadata, not their values
    "roles/serviceusage.serviceUsageViewer",
    "projects/${var.project_id}/roles/${google_project_iam_custom_role.planner_extra.role_id}",
  ])
}

resource "google_service_account" "deployer" {
  account_id   = "bloom-deployer"
  display_name = "Bloom CD: applies reviewed Terraform plans (${var.environment})"
}

# Permissions no predefined role gives without data access: Firestore's database (not its documents) and
# Secret Manager's secrets and their IAM (not their values: no secretmanager.versions.access).
resource "google_project_iam_custom_role" "deployer_extra" {
  role_id     = "bloomDeployerExtra"
  title       = "Bloom deployer: Firestore database and secrets, without data"
  description = "What the Bloom deployer needs beyond predefined roles, without reading documents or secret values."
  permissions = [
    "datastore.databases.create",
    "datastore.databases.getMetadata",
    "datastore.databases.list",
    "datastore.databases.update",
    "resourcemanager.projects.get",
    "secretmanager.secrets.create",
    "secretmanager.secrets.delete",
    "secretmanager.secrets.get",
    "secretmanager.secrets.getIamPolicy",
    "secretmanager.secrets.list",
    "secretmanager.secrets.setIamPolicy",
    "secretmanager.secrets.update",
  ]
}

resource "google_project_iam_member" "deployer" {
  for_each = local.deployer_roles

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.deployer.email}"
}

# Project IAM (grants to function accounts, Data Access audit configuration), limited to granting the roles the
# configuration grants: https://cloud.google.com/iam/docs/setting-limits-on-granting-roles
resource "google_project_iam_member" "deployer_project_iam" {
  project = var.project_id
  role    = "roles/resourcemanager.projectIamAdmin"
  member  = "serviceAccount:${google_service_account.deployer.email}"

  condition {
    title       = "only-bloom-function-roles"
    description = "Grant or revoke only the roles terraform/functions.tf grants."
    expression  = "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(${jsonencode(local.grantable_roles)})"
  }
}

# Configuration that no predefined viewer role reads without data: Firestore's database and indexes (not its
# documents), buckets' metadata (not their objects) and log-based metrics (not the logs).
resource "google_project_iam_custom_role" "planner_extra" {
  role_id     = "bloomPlannerExtra"
  title       = "Bloom planner: configuration without data"
  description = "Read the Firestore database, indexes, bucket metadata and log metrics Terraform manages; no documents, objects or logs."
  permissions = [
    "datastore.databases.getMetadata",
    "datastore.databases.list",
    "datastore.indexes.get",
    "datastore.indexes.list",
    "logging.logMetrics.get",
    "logging.logMetrics.list",
    "resourcemanager.projects.get",
    "storage.buckets.get",
  ]
}

# The bundle object's metadata, in the source bucket only (its objects are the deployed code).
resource "google_project_iam_member" "planner_source" {
  project = var.project_id
  role    = "roles/storage.objectViewer"
  member  = "serviceAccount:${local.ci_account}"

  condition {
    title       = "source-bucket-only"
    description = "Objects of the function source bucket only."
    expression  = "resource.name.startsWith(\"projects/_/buckets/${var.project_id}-bloom-function-source/\")"
  }

  depends_on = [google_service_account.ci]
}

resource "google_project_iam_member" "planner" {
  for_each = local.planner_roles

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${local.ci_account}"

  depends_on = [google_service_account.ci]
}

# The plan reads the state (never writes it: -lock=false); the deployer writes it through roles/storage.admin.
resource "google_storage_bucket_iam_member" "planner_state" {
  bucket = local.state_bucket
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${local.ci_account}"

  depends_on = [google_service_account.ci]
}

# The deployer reads the plans CI saved for its environment (the bucket is in the CI project).
resource "google_storage_bucket_iam_member" "deployer_plans" {
  bucket = local.artifacts_bucket
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.deployer.email}"

  depends_on = [google_storage_bucket.plans]
}

resource "google_cloudbuild_trigger" "cd" {
  name            = "bloom-cd-${var.environment}"
  description     = "Apply the plan CI made for this commit to ${var.environment}, once approved."
  filename        = "cloudbuild/cd.yaml"
  service_account = google_service_account.deployer.id

  github {
    owner = var.github_owner
    name  = var.github_repository
    push {
      branch = "^main$"
    }
  }

  approval_config {
    approval_required = true
  }

  substitutions = {
    _ENV              = var.environment
    _ARTIFACTS_BUCKET = local.artifacts_bucket
  }
}

# --- in the CI project only ---------------------------------------------------------------------------------

resource "google_service_account" "ci" {
  count = local.is_ci_project ? 1 : 0

  account_id   = "bloom-ci"
  display_name = "Bloom CI: checks, tests and plans every push (no deploy rights)"
}

resource "google_project_iam_member" "ci_logs" {
  count = local.is_ci_project ? 1 : 0

  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = "serviceAccount:${google_service_account.ci[0].email}"
}

resource "google_storage_bucket" "plans" {
  #checkov:skip=CKV_GCP_62:Holds only Terraform plans and bundles made by CI; who read or wrote which object is in the Data Access audit logs the main configuration enables for storage.googleapis.com, and usage logs would need a second bucket.
  count = local.is_ci_project ? 1 : 0

  name                        = local.artifacts_bucket
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  versioning {
    enabled = true
  }

  # A plan is applied within hours or never (a newer commit replaces it).
  lifecycle_rule {
    condition {
      age = 30
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket_iam_member" "ci_plans" {
  count = local.is_ci_project ? 1 : 0

  bucket = google_storage_bucket.plans[0].name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.ci[0].email}"
}

resource "google_cloudbuild_trigger" "ci" {
  count = local.is_ci_project ? 1 : 0

  name            = "bloom-ci"
  description     = "Checks, tests and a Terraform plan per environment, on every push."
  filename        = "cloudbuild/ci.yaml"
  service_account = google_service_account.ci[0].id

  github {
    owner = var.github_owner
    name  = var.github_repository
    push {
      branch = ".*"
    }
  }

  substitutions = {
    _ARTIFACTS_BUCKET = local.artifacts_bucket
  }
}
