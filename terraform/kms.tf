# Clinical records' key-encryption key (KEK): Cloud KMS wraps every patient's data key (bloom.platform.crypto,
# docs/records.md). Rotated every 90 days; KMS keeps the old versions to decrypt with, and
# `python -m infra.cli records rotate-keys` re-wraps every data key under the new primary. Only the functions that
# declare Capability.CLINICAL_KEYS may encrypt and decrypt with it, and they get `KMS_KEY_URI` (functions.tf).

resource "google_kms_key_ring" "records" {
  name     = "bloom-records"
  location = var.region

  depends_on = [google_project_service.api]
}

resource "google_kms_crypto_key" "records_kek" {
  name            = "records-kek"
  key_ring        = google_kms_key_ring.records.id
  purpose         = "ENCRYPT_DECRYPT"
  rotation_period = "7776000s" # 90 days

  version_template {
    algorithm        = "GOOGLE_SYMMETRIC_ENCRYPTION"
    protection_level = "SOFTWARE"
  }

  # Destroying this key would make every clinical record unreadable: never by a plan.
  lifecycle {
    prevent_destroy = true
  }
}

resource "google_kms_crypto_key_iam_member" "records_kek" {
  for_each = local.clinical_key_users

  crypto_key_id = google_kms_crypto_key.records_kek.id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = "serviceAccount:${google_service_account.grant_profile[each.key].email}"
}

output "records_kek_uri" {
  description = "The records KEK as Tink's GCP KMS client names it: KMS_KEY_URI for `infra.cli records rotate-keys --project`."
  value       = "gcp-kms://${google_kms_crypto_key.records_kek.id}"
}
