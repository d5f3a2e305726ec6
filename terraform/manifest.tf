# Everything per function, topic, job, index, TTL field and secret comes from functions.json, which
# `make manifest` generates from the function registry. Nothing here names one of them.
#
# This file holds only locals computed from functions.json and variables (never from a resource), so that
# tests/unit/test_terraform.py can evaluate them offline with `terraform console` and compare every grant
# with the registry's declarations.

locals {
  manifest = jsondecode(file("${path.module}/functions.json"))

  functions           = { for fn in local.manifest.functions : fn.name => fn }
  http_functions      = { for name, fn in local.functions : name => fn if fn.kind == "http" }
  event_functions     = { for name, fn in local.functions : name => fn if fn.kind != "http" }
  scheduled_functions = { for name, fn in local.functions : name => fn if fn.schedule != null }
  firestore_functions = { for name, fn in local.functions : name => fn if contains(fn.sdks, "google.cloud.firestore") }
  outbox_sweepers     = { for name, fn in local.functions : name => fn if contains(fn.uses, "outbox_sweep") }
  # The health routes an uptime check probes through the gateway (GET routes tagged "health").
  probed_functions = {
    for name, fn in local.http_functions : name => fn if contains(fn.tags, "health") && fn.http.method == "GET"
  }
  # Functions whose code manages Firebase Auth accounts (Capability.FIREBASE_AUTH_ADMIN in the registry).
  account_managers = { for name, fn in local.functions : name => fn if contains(fn.uses, "firebase_auth_admin") }
  # Functions that sign as their own service account (Capability.SIGN_AS_SELF: signed URLs, custom tokens).
  self_signers = { for name, fn in local.functions : name => fn if contains(fn.uses, "sign_as_self") }

  # Buckets declared in code (bloom.platform.buckets), those with a storage notification, and (function, bucket)
  # for every function declaring the capability that grants a bucket's objects.
  buckets           = { for bucket in local.manifest.buckets : bucket.name => bucket }
  notifying_buckets = { for name, bucket in local.buckets : name => bucket if bucket.notify_topic != null }
  bucket_users = {
    for pair in flatten([
      for name, fn in local.functions : [
        for bucket in local.manifest.buckets : { function = name, bucket = bucket.name }
        if contains(fn.uses, bucket.capability)
      ]
    ]) : "${pair.function}/${pair.bucket}" => pair
  }

  topics           = { for topic in local.manifest.topics : topic.name => topic }
  secrets          = toset(local.manifest.secrets)
  ttl_fields       = { for ttl in local.manifest.ttl_fields : "${ttl.collection}.${ttl.field}" => ttl }
  unindexed_fields = { for f in local.manifest.unindexed_fields : "${f.collection}.${f.field}" => f }
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

  # (function, topic) for every topic a function's declarations say it publishes to.
  publisher_topics = {
    for pair in flatten([
      for name, fn in local.functions : [for topic in fn.publishes : { function = name, topic = topic }]
    ]) : "${pair.function}/${pair.topic}" => pair
  }

  labels = {
    app         = "bloom"
    environment = var.environment
    managed-by  = "terraform"
  }

  # Every topic with its dead-letter topic, in one map so one resource block creates them all.
  pubsub_topics = merge(
    { for name, topic in local.topics : name => { retention = var.topic_message_retention } },
    { for name, topic in local.topics : "${name}.dead-letter" => { retention = "2678400s" } }
  )
}
