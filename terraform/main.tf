# The project's APIs. Everything per function, topic, job, index, TTL field and secret is in manifest.tf.

resource "google_project_service" "api" {
  for_each = toset([
    "aiplatform.googleapis.com", # Vertex AI text embeddings (credentialing's ingestion)
    "apigateway.googleapis.com",
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "cloudkms.googleapis.com",      # the clinical records' key-encryption key (kms.tf)
    "compute.googleapis.com",       # the API origin's load balancer and Cloud Armor (load_balancer.tf)
    "firebaserules.googleapis.com", # the Firestore security rules (firestore.tf)
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com", # signBlob: V4 signed URLs and Firebase custom tokens (Capability.SIGN_AS_SELF)
    "monitoring.googleapis.com",
    "identitytoolkit.googleapis.com", # Firebase Auth's admin API (firebase_admin.auth account management)
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
