# The API origin: the host of var.api_url, served by the HTTPS load balancer of load_balancer.tf (API Gateway by
# default, each Cloud Run service on its path prefixes). docs/deploy.md, "The API origin".
#
# Locals only, from functions.json and variables (never from a resource): tests/unit/test_load_balancer.py evaluates
# them offline with `terraform console`.

locals {
  # Without api_url (staging today) there is no load balancer: the API origin is the gateway's own hostname, which
  # cannot carry the live chat's websockets.
  api_domain = var.api_url == null ? null : regex("^https://([^/]+)/api$", var.api_url)[0]
  # The count of each of the load balancer's own resources.
  load_balancer = local.api_domain == null ? 0 : 1

  # The URL map paths of each Cloud Run service, from the prefixes it declares: a prefix ending in "/" covers what
  # is under it; any other covers itself and what is under it (a URL map path matches a prefix only as "<path>/*").
  service_url_paths = {
    for svc in local.manifest.services : svc.name => flatten([
      for prefix in svc.prefixes : endswith(prefix, "/") ? ["${prefix}*"] : [prefix, "${prefix}/*"]
    ])
  }

  # Behind the load balancer a service takes requests from it only (its run.app URL refuses everyone else), so the
  # path to it is the API origin's, through Cloud Armor. Without one it keeps its public URL (cloud_run.tf).
  service_ingress = local.api_domain == null ? "INGRESS_TRAFFIC_ALL" : "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
}
