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
  outbox_sweepers     = { for name, fn in local.functions : name => fn if contains(fn.uses, "outbox_sweep") }
  # The health routes an uptime check probes through the gateway (GET routes tagged "health").
  probed_functions = {
    for name, fn in local.http_functions : name => fn if contains(fn.tags, "health") && fn.http.method == "GET"
  }

  # Grant profiles: the distinct sets of grants (Firestore, topics, secrets, capabilities) the functions declare.
  # Each is one service account, shared by the functions declaring exactly those grants (infra/manifest.py):
  # a project holds 100 service accounts by default and there are ~130 functions. Every grant below is to a
  # profile, so an account holds what each of its functions declares and nothing more.
  grant_profiles = { for profile in local.manifest.grant_profiles : profile.id => profile }
  # Profiles that use Firestore (the Firestore SDK declared: every subscriber, which records processed events).
  firestore_profiles = { for id, profile in local.grant_profiles : id => profile if profile.firestore }
  # Profiles that manage Firebase Auth accounts (Capability.FIREBASE_AUTH_ADMIN in the registry).
  account_managers = { for id, profile in local.grant_profiles : id => profile if contains(profile.uses, "firebase_auth_admin") }
  # Profiles that sign as their own service account (Capability.SIGN_AS_SELF: signed URLs, custom tokens).
  self_signers = { for id, profile in local.grant_profiles : id => profile if contains(profile.uses, "sign_as_self") }
  # Profiles that wrap and unwrap clinical data keys with the records KEK (Capability.CLINICAL_KEYS, kms.tf).
  clinical_key_users = { for id, profile in local.grant_profiles : id => profile if contains(profile.uses, "clinical_keys") }
  # Profiles that call Vertex AI's text embeddings (Capability.VERTEX_AI).
  embedders = { for id, profile in local.grant_profiles : id => profile if contains(profile.uses, "vertex_ai") }
  # Profiles that write custom metrics to Cloud Monitoring (Capability.METRIC_WRITER: the daily digest).
  metric_writers = { for id, profile in local.grant_profiles : id => profile if contains(profile.uses, "metric_writer") }

  # Buckets declared in code (bloom.platform.buckets), those with a storage notification, and (profile, bucket)
  # for every profile holding the capability that grants a bucket's objects.
  buckets           = { for bucket in local.manifest.buckets : bucket.name => bucket }
  notifying_buckets = { for name, bucket in local.buckets : name => bucket if bucket.notify_topic != null }
  bucket_users = {
    for pair in flatten([
      for id, profile in local.grant_profiles : [
        for bucket in local.manifest.buckets : { profile = id, bucket = bucket.name }
        if contains(profile.uses, bucket.capability)
      ]
    ]) : "${pair.profile}/${pair.bucket}" => pair
  }

  topics           = { for topic in local.manifest.topics : topic.name => topic }
  secrets          = toset(local.manifest.secrets)
  ttl_fields       = { for ttl in local.manifest.ttl_fields : "${ttl.collection}.${ttl.field}" => ttl }
  unindexed_fields = { for f in local.manifest.unindexed_fields : "${f.collection}.${f.field}" => f }
  indexes = {
    for index in local.manifest.indexes :
    "${index.collection}:${join(",", [for field in index.fields : "${field.field}:${field.order}"])}" => index
  }

  # (profile, secret) for every secret a profile's functions declare.
  profile_secrets = {
    for pair in flatten([
      for id, profile in local.grant_profiles : [for secret in profile.secrets : { profile = id, secret = secret }]
    ]) : "${pair.profile}/${pair.secret}" => pair
  }

  # (profile, topic) for every topic a profile's functions' declarations say they publish to.
  publisher_topics = {
    for pair in flatten([
      for id, profile in local.grant_profiles : [for topic in profile.publishes : { profile = id, topic = topic }]
    ]) : "${pair.profile}/${pair.topic}" => pair
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
