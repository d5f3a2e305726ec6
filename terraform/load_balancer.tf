# The API origin's HTTPS load balancer (a global external Application Load Balancer) on the host of var.api_url.
# API Gateway cannot carry websockets, and the frontend reaches the live chat's Socket.IO endpoint on the API origin
# (`new URL(API_URL).origin`): so the origin is this load balancer. Each deployed Cloud Run service gets the paths it
# declares (`prefixes` in functions.json, api_origin.tf); everything else goes to the gateway. Nothing below names a
# service or a path. Created only with api_url (docs/deploy.md, "The API origin").
#
# Websockets: a backend service's timeout_sec does not apply to serverless NEG backends (it is not set here); a
# websocket lasts at most the Cloud Run service's own request timeout (its declared timeout_s, cloud_run.tf: 3600 s
# for the live chat), after which the client reconnects and replays from `history`.

locals {
  # The deployed Cloud Run services, each behind the load balancer on its own paths (none without one).
  routed_services = { for name, svc in google_cloud_run_v2_service.service : name => svc if local.api_domain != null }

  # Request logs of the backend services, sampled: every function already logs its requests on Cloud Run, so the
  # gateway's share is a sample; a socket connection is one request, and a throttled one is seen only if logged.
  gateway_log_sample_rate = 0.1
  service_log_sample_rate = 0.5

  # Cloud Armor's throttle per client address on the services' paths: a connection flood from one address is
  # answered 429 at Google's edge, before an instance starts. A websocket is one request; long-polling is about one
  # request per 25 s per socket plus one per message (20 per 10 s at most, livechat.md). Generous, because many
  # people may share one address (a refuge's network, a carrier's NAT).
  service_requests_per_minute_per_client = 300
}

# The DNS A record of api_url's host points here (output api_address).
resource "google_compute_global_address" "api" {
  count = local.load_balancer

  name = "bloom-api-${var.environment}"

  depends_on = [google_project_service.api]
}

# Google-managed: provisioned once the A record points at the address (up to about an hour), renewed by Google. A
# new domain creates a new certificate before the proxy lets go of the old one.
resource "google_compute_managed_ssl_certificate" "api" {
  count = local.load_balancer

  name = "bloom-api-${substr(sha256(local.api_domain), 0, 12)}"

  managed {
    domains = [local.api_domain]
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [google_project_service.api]
}

resource "google_compute_ssl_policy" "api" {
  count = local.load_balancer

  name            = "bloom-api-${var.environment}"
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"

  depends_on = [google_project_service.api]
}

# The gateway as a load balancer backend: a serverless NEG in the gateway's region (same project). Its platform
# (serverless_deployment) is in the beta API only. The gateway's own hostname stays reachable: API Gateway has no
# ingress setting.
resource "google_compute_region_network_endpoint_group" "gateway" {
  provider = google-beta
  count    = local.load_balancer

  name                  = "bloom-gateway-${var.environment}"
  network_endpoint_type = "SERVERLESS"
  region                = var.gateway_region

  serverless_deployment {
    platform = "apigateway.googleapis.com"
    resource = google_api_gateway_gateway.bloom.gateway_id
  }

  depends_on = [google_project_service.api]
}

resource "google_compute_region_network_endpoint_group" "service" {
  for_each = local.routed_services

  name                  = "bloom-run-${each.value.name}"
  network_endpoint_type = "SERVERLESS"
  region                = each.value.location

  cloud_run {
    service = each.value.name
  }

  depends_on = [google_project_service.api]
}

resource "google_compute_backend_service" "gateway" {
  count = local.load_balancer

  name                  = "bloom-gateway-${var.environment}"
  description           = "API Gateway: every path of the API origin that no Cloud Run service declares."
  load_balancing_scheme = "EXTERNAL_MANAGED"
  protocol              = "HTTPS"

  backend {
    group = google_compute_region_network_endpoint_group.gateway[0].id
  }

  log_config {
    enable      = true
    sample_rate = local.gateway_log_sample_rate
  }
}

resource "google_compute_backend_service" "service" {
  for_each = local.routed_services

  name                  = "bloom-run-${each.value.name}"
  description           = "Cloud Run service ${each.value.name}: ${join(", ", local.service_url_paths[each.key])}"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  protocol              = "HTTPS"
  security_policy       = google_compute_security_policy.services[0].id

  backend {
    group = google_compute_region_network_endpoint_group.service[each.key].id
  }

  log_config {
    enable      = true
    sample_rate = local.service_log_sample_rate
  }
}

# Connection floods on the services' paths: each client address may make service_requests_per_minute_per_client
# requests a minute, the excess is refused with 429 (throttled, not banned: a reconnecting client gets through again
# within the minute). The sockets authenticate in their handshake; this keeps a flood of refused handshakes from
# scaling the service out.
resource "google_compute_security_policy" "services" {
  #checkov:skip=CKV_GCP_73:The Log4j (CVE-2021-44228) rule guards Java servers; behind this policy is a Python (uvicorn) service only.
  count = length(local.routed_services) > 0 ? 1 : 0

  name        = "bloom-services-${var.environment}"
  description = "Per-client throttle on the Cloud Run services' paths of the API origin."
  type        = "CLOUD_ARMOR"

  rule {
    description = "At most ${local.service_requests_per_minute_per_client} requests a minute per client address."
    action      = "throttle"
    priority    = 1000

    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }

    rate_limit_options {
      conform_action = "allow"
      exceed_action  = "deny(429)"
      enforce_on_key = "IP"

      rate_limit_threshold {
        count        = local.service_requests_per_minute_per_client
        interval_sec = 60
      }
    }
  }

  # The default rule every policy has; written so that a plan does not see it as drift.
  rule {
    description = "Everything else."
    action      = "allow"
    priority    = 2147483647

    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
  }

  depends_on = [google_project_service.api]
}

resource "google_compute_url_map" "api" {
  count = local.load_balancer

  name            = "bloom-api-${var.environment}"
  description     = "The API origin ${local.api_domain}: the Cloud Run services' paths to them, the rest to API Gateway."
  default_service = google_compute_backend_service.gateway[0].id

  host_rule {
    hosts        = [local.api_domain]
    path_matcher = "api"
  }

  path_matcher {
    name            = "api"
    default_service = google_compute_backend_service.gateway[0].id

    dynamic "path_rule" {
      for_each = local.routed_services
      content {
        paths   = local.service_url_paths[path_rule.key]
        service = google_compute_backend_service.service[path_rule.key].id
      }
    }
  }
}

resource "google_compute_target_https_proxy" "api" {
  count = local.load_balancer

  name             = "bloom-api-${var.environment}"
  url_map          = google_compute_url_map.api[0].id
  ssl_certificates = [google_compute_managed_ssl_certificate.api[0].id]
  ssl_policy       = google_compute_ssl_policy.api[0].id
}

# Port 80 answers only with a redirect to https (query kept): nothing is served in clear text.
resource "google_compute_url_map" "https_redirect" {
  count = local.load_balancer

  name        = "bloom-api-redirect-${var.environment}"
  description = "The API origin over http: a redirect to https."

  default_url_redirect {
    https_redirect         = true
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
    strip_query            = false
  }

  depends_on = [google_project_service.api]
}

resource "google_compute_target_http_proxy" "https_redirect" {
  count = local.load_balancer

  name    = "bloom-api-redirect-${var.environment}"
  url_map = google_compute_url_map.https_redirect[0].id
}

# The address's two ports: 443 serves the API origin, 80 only redirects to it.
resource "google_compute_global_forwarding_rule" "api" {
  for_each = {
    for port, proxy in {
      "443" = one(google_compute_target_https_proxy.api[*].id)
      "80"  = one(google_compute_target_http_proxy.https_redirect[*].id)
    } : port => proxy if local.load_balancer == 1
  }

  name                  = "bloom-api-${each.key}-${var.environment}"
  target                = each.value
  ip_address            = google_compute_global_address.api[0].id
  ip_protocol           = "TCP"
  port_range            = each.key
  load_balancing_scheme = "EXTERNAL_MANAGED"
}

# The chat cannot be reached without the load balancer: the frontend connects to the API origin only. A plan that
# deploys a service without api_url says so (a warning: staging may run the service for a smoke test on its URL).
check "services_are_reachable_from_the_frontend" {
  assert {
    condition     = local.api_domain != null || length(google_cloud_run_v2_service.service) == 0
    error_message = "A Cloud Run service is deployed without api_url: the frontend reaches it only through the API origin's load balancer, which needs api_url (docs/deploy.md, \"The API origin\")."
  }
}

output "api_address" {
  description = "The API origin's address: the DNS A record of api_url's host (null without api_url)."
  value       = local.load_balancer == 1 ? google_compute_global_address.api[0].address : null
}
