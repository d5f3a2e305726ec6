# Everything per function, topic, job, index, TTL field and secret comes from functions.json, which
# `make manifest` generates from the function registry. Nothing here names one of them.

locals {
  manifest = jsondecode(file("${path.module}/functions.json"))

  functions           = { for fn in local.manifest.functions : fn.name => fn }
  http_functions      = { for name, fn in local.functions : name => fn if fn.kind == "http" }
  event_functions     = { for name, fn in local.functions : name => fn if fn.kind != "http" }
  scheduled_functions = { for name, fn in local.functions : name => fn if fn.schedule != null }
  publisher_functions = { for name, fn in local.functions : name => fn if contains(fn.sdks, "google.cloud.pubsub_v1") }

  topics     = { for topic in local.manifest.topics : topic.name => topic }
  secrets    = toset(local.manifest.secrets)
  ttl_fields = { for ttl in local.manifest.ttl_fields : "${ttl.collection}.${ttl.field}" => ttl }
  indexes = {
    for index in local.manifest.indexes :
    "${index.collection}:${join(",", [for field in index.fields : "${field.field}:${field.order}"])}" => index
  }

  # Service account ids are 6-30 characters: "func-" + deploy_name, or when that is too long, a prefix of
  # it and a hash so two long names never collide. tests/unit/test_terraform.py mirrors this rule.
  service_account_ids = {
    for name, fn in local.functions : name => (
      length(fn.deploy_name) <= 25
      ? "func-${fn.deploy_name}"
      : "func-${substr(fn.deploy_name, 0, 16)}-${substr(sha1(fn.deploy_name), 0, 8)}"
    )
  }

  function_secrets = {
    for pair in flatten([
      for name, fn in local.functions : [for secret in fn.secrets : { function = name, secret = secret }]
    ]) : "${pair.function}/${pair.secret}" => pair
  }

  publisher_topics = {
    for pair in flatten([
      for name, fn in local.publisher_functions : [for topic in keys(local.topics) : { function = name, topic = topic }]
    ]) : "${pair.function}/${pair.topic}" => pair
  }

  labels = {
    app         = "bloom"
    environment = var.environment
    managed-by  = "terraform"
  }
}

data "google_project" "this" {
  project_id = var.project_id
}

resource "google_project_service" "api" {
  for_each = toset([
    "apigateway.googleapis.com",
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "eventarc.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "servicecontrol.googleapis.com",
    "servicemanagement.googleapis.com",
    "storage.googleapis.com",
  ])

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}
