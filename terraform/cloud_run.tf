# Cloud Run services: what cannot be a function (the live chat's Socket.IO endpoint holds websockets). Each is
# declared in the registry (bloom.platform.registry.ServiceSpec) and read here from functions.json's `services`;
# nothing below names one. docs/livechat.md, Service.
#
# The image is built from the same bundle the functions build from (infra/service.Dockerfile), with
# `uvicorn <module>:<app>` as its command; var.service_images pins one per service by digest (the plan build's
# build/service-images.tfvars.json), and a service without an image is not deployed (docs/deploy.md, Service images).

locals {
  services = { for svc in try(local.manifest.services, []) : svc.name => svc }
  # (service, topic) for every topic a service's declarations say it publishes to (through the outbox).
  service_publishers = {
    for pair in flatten([
      for name, svc in local.services : [for topic in svc.publishes : { service = name, topic = topic }]
    ]) : "${pair.service}/${pair.topic}" => pair
  }
  service_secrets = {
    for pair in flatten([
      for name, svc in local.services : [for secret in svc.secrets : { service = name, secret = secret }]
    ]) : "${pair.service}/${pair.secret}" => pair
  }
}

# Its own account per service, holding exactly what the service declares (Firestore, topics, secrets).
resource "google_service_account" "service" {
  for_each = local.services

  account_id   = "bloom-run-${substr(replace(each.key, "_", "-"), 0, 20)}"
  display_name = "Cloud Run service ${each.value.deploy_name}"
}

resource "google_project_iam_member" "service_firestore" {
  for_each = { for name, svc in local.services : name => svc if svc.firestore }

  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${google_service_account.service[each.key].email}"
}

resource "google_pubsub_topic_iam_member" "service_publisher" {
  for_each = local.service_publishers

  topic  = google_pubsub_topic.topic[each.value.topic].id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:${google_service_account.service[each.value.service].email}"
}

resource "google_secret_manager_secret_iam_member" "service_accessor" {
  for_each = local.service_secrets

  secret_id = google_secret_manager_secret.secret[each.value.secret].id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.service[each.value.service].email}"
}

resource "google_cloud_run_v2_service" "service" {
  for_each = { for name, svc in local.services : name => svc if contains(keys(var.service_images), name) }

  name        = each.value.deploy_name
  location    = var.region
  description = each.value.summary
  labels      = local.labels
  # The frontend connects from browsers, through the API origin's load balancer when there is one (api_origin.tf);
  # each socket's handshake authenticates with its Firebase ID token (as every HTTP function does).
  ingress = local.service_ingress

  template {
    service_account                  = google_service_account.service[each.key].email
    timeout                          = "${each.value.timeout_s}s"
    max_instance_request_concurrency = each.value.concurrency
    # Long-polling sends every request of a Socket.IO session to the instance holding it (best effort; a
    # session that lands elsewhere reconnects and replays from `history`).
    session_affinity = each.value.session_affinity

    scaling {
      min_instance_count = 0
      max_instance_count = each.value.max_instances
    }

    containers {
      image   = var.service_images[each.key]
      command = ["uvicorn"]
      args    = ["${each.value.module}:${each.value.app}", "--host", "0.0.0.0", "--port", "8080", "--no-access-log"]

      ports {
        container_port = 8080
      }

      resources {
        limits = {
          cpu    = "1"
          memory = "${each.value.memory_mb}Mi"
        }
        cpu_idle = true
      }

      env {
        name  = "GOOGLE_CLOUD_PROJECT"
        value = var.project_id
      }
      env {
        name  = "BLOOM_ENV"
        value = var.environment
      }
      env {
        name  = "BLOOM_CORS_ORIGINS"
        value = join(",", var.frontend_origins)
      }
      env {
        name  = "BLOOM_TRUSTED_PROXY_HOPS"
        value = tostring(var.trusted_proxy_hops)
      }

      dynamic "env" {
        for_each = toset(each.value.secrets)
        content {
          name = env.value
          value_source {
            secret_key_ref {
              secret  = google_secret_manager_secret.secret[env.value].secret_id
              version = var.secret_versions[env.value]
            }
          }
        }
      }
    }
  }

  depends_on = [google_project_service.api, google_secret_manager_secret_iam_member.service_accessor]
}

# Public: browsers connect directly; the handshake checks the Firebase ID token. Authoritative, as the functions'
# invokers are: an invoker added by hand is removed at the next apply.
resource "google_cloud_run_v2_service_iam_binding" "service_invoker" {
  #checkov:skip=CKV_GCP_102:The Socket.IO endpoint is called by browsers; each socket authenticates with a Firebase ID token in its handshake.
  for_each = google_cloud_run_v2_service.service

  project  = var.project_id
  location = each.value.location
  name     = each.value.name
  role     = "roles/run.invoker"
  members  = ["allUsers"]
}

output "service_urls" {
  description = "Cloud Run services by name: the API origin's load balancer routes each service's path prefixes here."
  value       = { for name, svc in google_cloud_run_v2_service.service : name => svc.uri }
}
