# Application buckets declared in code (bloom.buckets), named "<project>-<name>" (BLOOM_BUCKET_PREFIX).
# Functions that declare the Storage SDK may read and write objects in them; nobody else can.

resource "google_storage_bucket" "app" {
  for_each = local.buckets
  #checkov:skip=CKV_GCP_62:Access is recorded by Cloud Audit Data Access logs; usage-log buckets would need a second, unlogged bucket.

  name                        = "${var.project_id}-${each.key}"
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = local.labels

  versioning {
    enabled = true
  }
}

resource "google_storage_bucket_iam_member" "function_object_user" {
  for_each = local.storage_bucket_users

  bucket = google_storage_bucket.app[each.value.bucket].name
  role   = "roles/storage.objectUser"
  member = "serviceAccount:${google_service_account.function[each.value.function].email}"
}
