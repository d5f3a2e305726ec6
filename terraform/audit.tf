# Data Access audit logs: who read and wrote which Firestore documents and which Cloud Storage objects, and who
# read which secret's value (Secret Manager's AccessSecretVersion is a DATA_READ) (Admin Activity logs are always on). For Firestore the service name is datastore.googleapis.com, which
# covers the firestore.googleapis.com API too (https://cloud.google.com/firestore/docs/audit-logging).
# These logs hold document and object names, not their contents. Changes to this configuration are themselves
# Admin Activity entries.
resource "google_project_iam_audit_config" "data_access" {
  for_each = toset(["datastore.googleapis.com", "secretmanager.googleapis.com", "storage.googleapis.com"])

  project = var.project_id
  service = each.value

  audit_log_config {
    log_type = "ADMIN_READ"
  }
  audit_log_config {
    log_type = "DATA_READ"
  }
  audit_log_config {
    log_type = "DATA_WRITE"
  }
}
