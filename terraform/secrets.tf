# Secret containers only: values are typed by an operator (`make secrets ENV=...`, which hands them to
# `gcloud secrets versions add NAME --data-file=-` on stdin), never through Terraform, so they never reach the
# state file. Functions read the version pinned in var.secret_versions, never "latest". Cloud Run will not start a
# function whose secret has no version, so on a fresh project the containers come first
# (`-target=google_secret_manager_secret.secret`), then the values and their pins, then the rest: docs/deploy.md,
# first deploy.

resource "google_secret_manager_secret" "secret" {
  for_each = local.secrets

  secret_id = each.value
  labels    = local.labels

  replication {
    user_managed {
      replicas {
        location = var.region
      }
    }
  }

  depends_on = [google_project_service.api]
}

resource "google_secret_manager_secret_iam_member" "accessor" {
  for_each = local.profile_secrets

  secret_id = google_secret_manager_secret.secret[each.value.secret].id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.grant_profile[each.value.profile].email}"
}
