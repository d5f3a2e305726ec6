# The deterministic bundle (`make bundle`) the functions build from, one object per function named after the
# function's closure hash (build/closures.json's `functions`: its module and the bloom areas it imports, main.py
# and requirements.txt; infra/bundle.py; its `services` tag the Cloud Run services' images, cloudbuild/plan.yaml). A change renames, and so redeploys, only the functions whose closure it
# touches: ~130 functions do not all rebuild on every commit.

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

locals {
  closures = jsondecode(file(var.closures_path)).functions
}

resource "google_storage_bucket_object" "function_source" {
  for_each = local.functions

  name         = "functions/${each.value.deploy_name}/${local.closures[each.key]}.zip"
  bucket       = google_storage_bucket.source.name
  source       = var.bundle_path
  content_type = "application/zip"

  # An object is written once, under its closure hash: a later bundle holds the same code for this function
  # (or the name would differ), so its other bytes must not replace the object, nor redeploy the function.
  lifecycle {
    ignore_changes = [source, detect_md5hash]
  }
}
