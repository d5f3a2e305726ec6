# The buckets declared in code (bloom.platform.buckets → functions.json "buckets"): private objects only,
# reached through short-lived signed URLs. Nothing here names one of them.

resource "google_storage_bucket" "declared" {
  #checkov:skip=CKV_GCP_62:Usage logs would need a second bucket; who read or wrote which object is in the Data Access audit logs that audit.tf enables for storage.googleapis.com.
  #checkov:skip=CKV_GCP_78:Versioning is off on purpose: erasure must really delete a survivor's files, and a noncurrent version would keep them.
  for_each = local.buckets

  name                        = "${var.project_id}-bloom-${each.key}"
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = local.labels

  # No soft delete: an object erased on request (a survivor's file) is gone at once, not kept 7 more days.
  soft_delete_policy {
    retention_duration_seconds = 0
  }

  dynamic "cors" {
    for_each = length(each.value.cors_methods) > 0 ? [each.value] : []
    content {
      origin          = var.frontend_origins
      method          = cors.value.cors_methods
      response_header = cors.value.cors_headers
      max_age_seconds = 3600
    }
  }

  dynamic "lifecycle_rule" {
    for_each = each.value.expire_prefix != null ? [each.value] : []
    content {
      condition {
        age            = lifecycle_rule.value.expire_after_days
        matches_prefix = [lifecycle_rule.value.expire_prefix]
      }
      action {
        type = "Delete"
      }
    }
  }

  depends_on = [google_project_service.api]
}

# Object access per bucket, to the profiles of the functions declaring the bucket's capability only.
resource "google_storage_bucket_iam_member" "object_user" {
  for_each = local.bucket_users

  bucket = google_storage_bucket.declared[each.value.bucket].name
  role   = "roles/storage.objectUser"
  member = "serviceAccount:${google_service_account.grant_profile[each.value.profile].email}"
}

# Storage notifications: Cloud Storage's service agent publishes OBJECT_FINALIZE (JSON_API_V1) to the declared
# topic, whose subscriber is the function that checks what landed.
data "google_storage_project_service_account" "storage_agent" {
  project = var.project_id
}

resource "google_pubsub_topic_iam_member" "storage_notifications" {
  for_each = local.notifying_buckets

  topic  = google_pubsub_topic.topic[each.value.notify_topic].id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:${data.google_storage_project_service_account.storage_agent.email_address}"
}

resource "google_storage_notification" "declared" {
  for_each = local.notifying_buckets

  bucket             = google_storage_bucket.declared[each.key].name
  payload_format     = "JSON_API_V1"
  topic              = google_pubsub_topic.topic[each.value.notify_topic].id
  event_types        = ["OBJECT_FINALIZE"]
  object_name_prefix = each.value.notify_prefix

  depends_on = [google_pubsub_topic_iam_member.storage_notifications]
}

# Signing as oneself (V4 signed URLs, Firebase custom tokens) is iam.serviceAccounts.signBlob on the function's
# own account: a role holding that one permission (roles/iam.serviceAccountTokenCreator would also mint access and
# ID tokens), granted on that account only, to the functions declaring Capability.SIGN_AS_SELF only.
resource "google_project_iam_custom_role" "sign_blob" {
  role_id     = "bloomSignBlob"
  title       = "Bloom: sign blobs as a service account"
  description = "iam.serviceAccounts.signBlob only; granted per service account, on itself."
  permissions = ["iam.serviceAccounts.signBlob"]
}

resource "google_service_account_iam_member" "sign_as_self" {
  for_each = local.self_signers

  service_account_id = google_service_account.grant_profile[each.key].name
  role               = google_project_iam_custom_role.sign_blob.name
  member             = "serviceAccount:${google_service_account.grant_profile[each.key].email}"
}
