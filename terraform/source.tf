# The deterministic bundle (`make bundle`) every function builds from. Its object name carries the
# bundle's hash, so a source change replaces the object and redeploys every function.

resource "google_storage_bucket" "source" {
  #checkov:skip=CKV_GCP_62:Holds only build bundles (no user data). Who read or wrote which object is in the Data Access audit logs that audit.tf enables for storage.googleapis.com; usage logs would need a second, unlogged bucket.
  name                        = "${var.project_id}-bloom-function-source"
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = local.labels

  versioning {
    enabled = true
  }

  # Replaced bundles become noncurrent versions; keep them a while for rollback, then drop them.
  lifecycle_rule {
    condition {
      with_state         = "ARCHIVED"
      num_newer_versions = 5
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      with_state                 = "ARCHIVED"
      days_since_noncurrent_time = 90
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket_object" "bundle" {
  name         = "bundle-${filesha256(var.bundle_path)}.zip"
  bucket       = google_storage_bucket.source.name
  source       = var.bundle_path
  content_type = "application/zip"
}
