# If the project already has a (default) database (e.g. created by Firebase), import it first:
#   terraform import google_firestore_database.main "projects/PROJECT_ID/databases/(default)"

resource "google_firestore_database" "main" {
  name                              = "(default)"
  location_id                       = var.firestore_location
  type                              = "FIRESTORE_NATIVE"
  app_engine_integration_mode       = "DISABLED"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  deletion_policy                   = "ABANDON"

  depends_on = [google_project_service.api]
}

# Composite indexes declared next to the queries that need them (bloom.store.indexes.composite_index).
resource "google_firestore_index" "index" {
  for_each = local.indexes

  database    = google_firestore_database.main.name
  collection  = each.value.collection
  query_scope = "COLLECTION"

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path   = fields.value.field
      order        = contains(["CONTAINS", "VECTOR"], fields.value.order) ? null : fields.value.order
      array_config = fields.value.order == "CONTAINS" ? "CONTAINS" : null

      # A vector index (bloom.store.indexes.vector_index): its last field, searched by find_nearest.
      dynamic "vector_config" {
        for_each = fields.value.order == "VECTOR" ? [try(fields.value.dimension, 0)] : []
        content {
          dimension = vector_config.value
          flat {}
        }
      }
    }
  }
}

# TTL policies (bloom.store.indexes.ttl_field). TTL timestamps are never queried, so their single-field
# indexes are switched off (an empty index_config), as Firestore recommends for such fields.
resource "google_firestore_field" "ttl" {
  for_each = local.ttl_fields

  database   = google_firestore_database.main.name
  collection = each.value.collection
  field      = each.value.field

  ttl_config {}
  index_config {}
}

# Fields that are never queried (bloom.store.indexes.unindexed_field): the profile projection on user documents,
# the catalogues, credentialing's chunk texts and vectors. No single-field index is kept for anything inside them.
resource "google_firestore_field" "unindexed" {
  for_each = local.unindexed_fields

  database   = google_firestore_database.main.name
  collection = each.value.collection
  field      = each.value.field

  index_config {}
}

# The security rules clients are held to (../firestore.rules; the local stack's emulator loads the same file).
# Server code uses the Admin SDK, which bypasses them. A change to the file makes a new ruleset and releases it.
resource "google_firebaserules_ruleset" "firestore" {
  project = var.project_id

  source {
    files {
      name    = "firestore.rules"
      content = file("${path.module}/../firestore.rules")
    }
  }

  depends_on = [google_firestore_database.main, google_project_service.api]
}

# Firebase creates the cloud.firestore release with the database, so creating it fails with 409
# (hashicorp/terraform-provider-google#20917): it is adopted, and from then on Terraform owns it.
import {
  to = google_firebaserules_release.firestore
  id = "projects/${var.project_id}/releases/cloud.firestore"
}

resource "google_firebaserules_release" "firestore" {
  project      = var.project_id
  name         = "cloud.firestore"
  ruleset_name = "projects/${var.project_id}/rulesets/${google_firebaserules_ruleset.firestore.name}"

  lifecycle {
    replace_triggered_by = [google_firebaserules_ruleset.firestore]
  }
}
