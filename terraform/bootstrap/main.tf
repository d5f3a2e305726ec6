# Bootstrap: what an environment needs before CI and CD can run, applied once per environment by a project owner
# (docs/deploy.md, first deploy). It creates the deployer account CD runs as, with only the roles the main
# configuration's resources need; the function build account and its project-wide grants, which the deployer may
# not make; read-only roles for the plan account, which plans every environment from main;
# who may approve a deploy; the CD trigger (approval required); its Cloud Run's read access to the service images;
# and, in the CI project, the CI account (checks and tests every branch, reads no environment), the plan account,
# the plans bucket, the service images repository and both triggers.
#
# The trust chain: only main's plan build (the plan account) may write plans, and never overwrite one; CD checks
# the plan's digests, installs the providers the committed lock file names, applies that plan and nothing else,
# and production applies only a commit staging applied. The Cloud Run services' images are the plan account's to
# push too (and nobody else's), and each plan pins them by digest.
#
# Order: the CI project's bootstrap first (it creates the plan account the others grant to).

locals {
  environments_dir = "${path.module}/../environments"
  # The state bucket is written once, in the environment's .tfbackend, which `terraform init` reads too.
  state_bucket = regex("bucket\\s*=\\s*\"([^\"]+)\"", file("${local.environments_dir}/${var.environment}.gcs.tfbackend"))[0]

  is_ci_project    = var.project_id == var.ci_project_id
  planner_account  = "bloom-planner@${var.ci_project_id}.iam.gserviceaccount.com"
  artifacts_bucket = "${var.ci_project_id}-bloom-ci-plans"
  # Where each environment's CD records the commits it applied; production applies only those staging recorded.
  applied_prefix = "applied/${var.environment}/"
  # The Cloud Run services' images (docs/deploy.md, Service images): one repository in the CI project, in the
  # region of its artifacts (var.region), which the plan build writes and each environment's Cloud Run reads.
  service_images_repository = "bloom-services"

  # What the deployer needs for the resources of ../*.tf, and no data access beyond them: it never reads
  # Firestore documents or secret values. Project IAM changes are limited by a condition to the roles the
  # configuration grants (deployer_project_iam below).
  deployer_roles = toset([
    "roles/apigateway.admin",               # API, configs, gateway
    "roles/artifactregistry.admin",         # the functions' image repository and its IAM
    "roles/cloudfunctions.developer",       # the functions
    "roles/cloudscheduler.admin",           # scheduler jobs
    "roles/compute.loadBalancerAdmin",      # the API origin's load balancer: address, certificate, SSL policy, NEGs, backends, URL maps, proxies, rules
    "roles/datastore.indexAdmin",           # composite indexes and TTL fields
    "roles/firebaserules.admin",            # the Firestore security rules: ruleset and the cloud.firestore release
    "roles/iam.roleAdmin",                  # the Firebase accounts custom role
    "roles/iam.serviceAccountAdmin",        # the functions', build, gateway and push accounts (and the push account's IAM)
    "roles/iam.serviceAccountUser",         # attach those accounts to functions, builds, gateway, subscriptions
    "roles/logging.logWriter",              # this build's own logs
    "roles/monitoring.editor",              # alert policies, uptime check, dashboards, notification channels
    "roles/pubsub.admin",                   # topics, subscriptions and their IAM
    "roles/run.admin",                      # the functions' Cloud Run services' invoker bindings
    "roles/serviceusage.serviceUsageAdmin", # enabling APIs, the Pub/Sub service agent
    "projects/${var.project_id}/roles/${google_project_iam_custom_role.deployer_extra.role_id}",
  ])

  # Roles the main configuration grants on the project (functions.tf): the only ones the deployer may grant. IAM
  # limits which roles it may grant, not to whom: it could grant these to itself. Each is one the main
  # configuration grants to the accounts of the grant profiles (derived from the registry, so only CD can make those
  # grants) and only to them, and the deployer already acts as those accounts (iam.serviceAccountUser: it deploys
  # the functions that run as them), so a grant to itself would give it no reach it lacks; and a plan making one is
  # there for the approver to read. Nothing else: a project-wide role for any other account (the build account's
  # storage and logs roles below) is granted here, by an owner.
  grantable_roles = [
    "roles/datastore.user",
    "projects/${var.project_id}/roles/bloomFirebaseAccounts",
    "roles/aiplatform.user",         # Vertex AI embeddings, to the functions declaring Capability.VERTEX_AI (functions.tf)
    "roles/monitoring.metricWriter", # the daily digest's custom metrics (monitoring_reporting.tf)
  ]

  # The buckets the main configuration creates are all named "<project>-bloom-<name>" (source.tf, storage.tf).
  managed_buckets = "projects/_/buckets/${var.project_id}-bloom-"

  # Reading configuration to plan, never data: no Firestore documents, secret values or message contents.
  planner_roles = toset([
    "roles/apigateway.viewer",
    "roles/artifactregistry.reader",
    "roles/cloudfunctions.viewer",
    "roles/cloudscheduler.viewer",
    "roles/compute.networkViewer", # the API origin's load balancer and its Cloud Armor policy (configuration only)
    "roles/iam.securityReviewer",  # every IAM policy, role and service account
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
# Secret Manager's secrets and their IAM (not their values: no secretmanager.versions.access); the load balancer's
# Cloud Armor policy, without the predefined role that has it (compute.securityAdmin: the project's firewall too).
resource "google_project_iam_custom_role" "deployer_extra" {
  role_id     = "bloomDeployerExtra"
  title       = "Bloom deployer: Firestore database, secrets and Cloud Armor policy, without data"
  description = "What the Bloom deployer needs beyond predefined roles, without reading documents or secret values."
  permissions = [
    "compute.securityPolicies.create", # the Cloud Armor policy of the services' paths (load_balancer.tf) ...
    "compute.securityPolicies.delete",
    "compute.securityPolicies.get",
    "compute.securityPolicies.list",
    "compute.securityPolicies.update",
    "compute.securityPolicies.use", # ... and attaching it to their backend services
    "datastore.databases.create",
    "datastore.databases.getMetadata",
    "datastore.databases.list",
    "datastore.databases.update",
    "logging.logMetrics.create",
    "logging.logMetrics.delete",
    "logging.logMetrics.get",
    "logging.logMetrics.list",
    "logging.logMetrics.update",
    "resourcemanager.projects.get",
    "secretmanager.secrets.create",
    "secretmanager.secrets.delete",
    "secretmanager.secrets.get",
    "secretmanager.secrets.getIamPolicy",
    "secretmanager.secrets.list",
    "secretmanager.secrets.setIamPolicy",
    "secretmanager.secrets.update",
    "servicemanagement.services.bind", # enable the gateway's own managed service (apigateway.tf)
    "storage.buckets.create",          # the buckets it manages, which storage.admin below then covers
    "storage.buckets.list",
  ]
}

resource "google_project_iam_member" "deployer" {
  for_each = local.deployer_roles

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.deployer.email}"
}

# Cloud Storage, limited to the buckets the configuration manages (their objects included): no other bucket's data.
resource "google_project_iam_member" "deployer_buckets" {
  project = var.project_id
  role    = "roles/storage.admin"
  member  = "serviceAccount:${google_service_account.deployer.email}"

  condition {
    title       = "bloom-buckets-only"
    description = "The buckets named <project>-bloom-*, which terraform/*.tf creates."
    expression  = "resource.name.startsWith(\"${local.managed_buckets}\")"
  }
}

# The state: objects of the state bucket only.
resource "google_storage_bucket_iam_member" "deployer_state" {
  bucket = local.state_bucket
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.deployer.email}"
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

# Builds the function containers (the main configuration's build_config uses it by this id, functions.tf). Its
# project-wide grants are made here, not by the deployer, which may grant no storage role on the project.
resource "google_service_account" "function_build" {
  account_id   = "bloom-function-build"
  display_name = "Bloom function builds"
}

# Build logs go to Cloud Logging, which has no resource narrower than the project to grant on.
resource "google_project_iam_member" "function_build_logs" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = "serviceAccount:${google_service_account.function_build.email}"
}

# Cloud Functions copies each function's source into its own gcf-v2-sources-<project number>-<region> bucket and
# the build fetches it from there, so a custom build account must read that bucket too ("Access to bucket
# gcf-v2-sources-... denied": hashicorp/terraform-provider-google#20571). The bucket appears only with the first
# function, so the grant is on the project, limited by a condition to that bucket's name.
resource "google_project_iam_member" "function_build_sources" {
  project = var.project_id
  role    = "roles/storage.objectViewer"
  member  = "serviceAccount:${google_service_account.function_build.email}"

  condition {
    title       = "gcf-v2-sources-only"
    description = "Objects of the buckets Cloud Functions copies function sources into."
    expression  = "resource.name.startsWith(\"projects/_/buckets/gcf-v2-sources-\")"
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
    "firebaserules.releases.get",
    "firebaserules.rulesets.get",
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
  member  = "serviceAccount:${local.planner_account}"

  condition {
    title       = "source-bucket-only"
    description = "Objects of the function source bucket only."
    expression  = "resource.name.startsWith(\"projects/_/buckets/${var.project_id}-bloom-function-source/\")"
  }

  depends_on = [google_service_account.planner]
}

resource "google_project_iam_member" "planner" {
  for_each = local.planner_roles

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${local.planner_account}"

  depends_on = [google_service_account.planner]
}

# The plan reads the state (never writes it: -lock=false); the deployer writes it through roles/storage.admin.
resource "google_storage_bucket_iam_member" "planner_state" {
  bucket = local.state_bucket
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${local.planner_account}"

  depends_on = [google_service_account.planner]
}

# The deployer reads the plans CI saved for its environment (the bucket is in the CI project).
resource "google_storage_bucket_iam_member" "deployer_plans" {
  bucket = local.artifacts_bucket
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.deployer.email}"

  depends_on = [google_storage_bucket.plans]
}

# After a successful apply, CD records the commit under applied/<environment>/ (create only: no overwrite, no
# delete); production's CD refuses a commit staging has not recorded.
resource "google_storage_bucket_iam_member" "deployer_applied" {
  bucket = local.artifacts_bucket
  role   = "roles/storage.objectCreator"
  member = "serviceAccount:${google_service_account.deployer.email}"

  condition {
    title       = "own-applied-records-only"
    description = "Objects under applied/${var.environment}/ only."
    expression  = "resource.name.startsWith(\"projects/_/buckets/${local.artifacts_bucket}/objects/${local.applied_prefix}\")"
  }

  depends_on = [google_storage_bucket.plans]
}

data "google_project" "environment" {}

# Who may read the service images repository in the CI project (read only, that repository only):
resource "google_artifact_registry_repository_iam_member" "service_images_reader" {
  for_each = {
    # Cloud Run imports a service's image at deploy time as the project's Cloud Run service agent (not as the
    # service's own account). It exists once run.googleapis.com is enabled (docs/deploy.md, first deploy, step 1).
    run_agent = "serviceAccount:service-${data.google_project.environment.number}@serverless-robot-prod.iam.gserviceaccount.com"
    # Deploying an image also asks the deployer to read it ("Deploying to Cloud Run", Artifact Registry's docs).
    deployer = "serviceAccount:${google_service_account.deployer.email}"
  }

  project    = var.ci_project_id
  location   = var.region
  repository = local.service_images_repository
  role       = "roles/artifactregistry.reader"
  member     = each.value

  depends_on = [google_artifact_registry_repository.services]
}

# Who may approve this environment's deploys (Cloud Build → Approvals): named here, reviewed like any change.
resource "google_project_iam_member" "approver" {
  for_each = toset(var.approvers)

  project = var.project_id
  role    = "roles/cloudbuild.builds.approver"
  member  = each.value
}

resource "google_cloudbuild_trigger" "cd" {
  name            = "bloom-cd-${var.environment}"
  description     = "Apply the plan main's plan build made for this commit to ${var.environment}, once approved."
  filename        = "cloudbuild/cd.yaml"
  service_account = google_service_account.deployer.id

  # The repository must be connected to Cloud Build in this environment's project (docs/deploy.md, first deploy).
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
    # The environment whose successful apply of a commit this one requires first (none for staging).
    _REQUIRES_APPLIED = var.environment == "production" ? "staging" : ""
  }
}

# --- in the CI project only ---------------------------------------------------------------------------------

# CI checks and tests every branch's code, which nobody has reviewed yet: it reads no environment and writes no plan.
resource "google_service_account" "ci" {
  count = local.is_ci_project ? 1 : 0

  account_id   = "bloom-ci"
  display_name = "Bloom CI: checks and tests every push (no environment access, no deploy rights)"
}

# Plans every environment from main only (reviewed code), and is the only writer of plans.
resource "google_service_account" "planner" {
  count = local.is_ci_project ? 1 : 0

  account_id   = "bloom-planner"
  display_name = "Bloom plans: plans every environment from main and saves the plans CD applies"
}

# Both builds write their logs; nothing else of the CI project.
resource "google_project_iam_member" "build_logs" {
  for_each = { for account in concat(google_service_account.ci, google_service_account.planner) : account.account_id => account.email }

  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = "serviceAccount:${each.value}"
}

resource "google_storage_bucket" "plans" {
  #checkov:skip=CKV_GCP_62:Holds only Terraform plans and function sources made by the plan build; who read or wrote which object is in the Data Access audit logs the main configuration enables for storage.googleapis.com, and usage logs would need a second bucket.
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

# Create only: a saved plan can be neither replaced nor deleted, not even by its writer.
resource "google_storage_bucket_iam_member" "planner_plans" {
  count = local.is_ci_project ? 1 : 0

  bucket = google_storage_bucket.plans[0].name
  role   = "roles/storage.objectCreator"
  member = "serviceAccount:${google_service_account.planner[0].email}"
}

# The Cloud Run services' images. A tag is a service's closure hash (infra/bundle.py) and can never be moved
# (immutable tags): a tag names one image, so the plan build builds it once and every later plan of the same
# closure pins that same image by digest. Each service's 10 newest images are kept, older ones are deleted after
# 90 days: Cloud Run keeps its own copy of the image of every serving revision, so a deletion never stops a running
# service; a rollback to a commit whose image is gone builds that image again.
resource "google_artifact_registry_repository" "services" {
  #checkov:skip=CKV_GCP_84:Google-managed encryption at rest, as the functions' image repository; CMEK needs a key-management process (permanent key ring, rotation, service-agent grants) that is not set up yet.
  count = local.is_ci_project ? 1 : 0

  repository_id          = local.service_images_repository
  location               = var.region
  format                 = "DOCKER"
  description            = "Bloom Cloud Run service images, built by the plan build from the source bundle."
  cleanup_policy_dry_run = false

  docker_config {
    immutable_tags = true
  }

  cleanup_policies {
    id     = "keep-newest-versions"
    action = "KEEP"
    most_recent_versions {
      keep_count = 10
    }
  }

  cleanup_policies {
    id     = "delete-older-than-90-days"
    action = "DELETE"
    condition {
      tag_state  = "ANY"
      older_than = "7776000s"
    }
  }
}

# The plan build pushes the service images: write (push, and read to find an existing tag) on this repository
# only; roles/artifactregistry.writer cannot delete a version, and the tags cannot be moved.
resource "google_artifact_registry_repository_iam_member" "planner_service_images" {
  count = local.is_ci_project ? 1 : 0

  location   = google_artifact_registry_repository.services[0].location
  repository = google_artifact_registry_repository.services[0].name
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${google_service_account.planner[0].email}"
}

resource "google_cloudbuild_trigger" "ci" {
  count = local.is_ci_project ? 1 : 0

  name            = "bloom-ci"
  description     = "Checks and tests (cloudbuild.yaml, the design card's CI build) on every push."
  filename        = "cloudbuild.yaml"
  service_account = google_service_account.ci[0].id

  github {
    owner = var.github_owner
    name  = var.github_repository
    push {
      branch = ".*"
    }
  }
}

resource "google_cloudbuild_trigger" "plan" {
  count = local.is_ci_project ? 1 : 0

  name            = "bloom-plan"
  description     = "A Terraform plan per environment from main, saved for CD with its digests."
  filename        = "cloudbuild/plan.yaml"
  service_account = google_service_account.planner[0].id

  github {
    owner = var.github_owner
    name  = var.github_repository
    push {
      branch = "^main$"
    }
  }

  substitutions = {
    _ARTIFACTS_BUCKET = local.artifacts_bucket
    _SERVICE_IMAGES   = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.services[0].repository_id}"
  }
}
