# API Gateway: the one public entry point; the frontend calls <gateway_url>/api/v1/...
# Its config is a Swagger 2.0 document built here from the manifest's HTTP functions. The gateway calls
# each function with an OIDC token for its own service account (jwt_audience) and moves the caller's
# Authorization header to X-Forwarded-Authorization, which the functions read first.

locals {
  # path => names of the functions serving it (one per method).
  http_paths = { for name, fn in local.http_functions : fn.http.path => name... }

  gateway_backends = {
    for name, fn in local.http_functions : name => {
      address          = google_cloudfunctions2_function.function[name].service_config[0].uri
      jwt_audience     = google_cloudfunctions2_function.function[name].service_config[0].uri
      path_translation = "APPEND_PATH_TO_ADDRESS"
      deadline         = fn.timeout_s
    }
  }

  # Swagger 2.0 declares every {param} of a path template on each of its operations.
  path_parameters = {
    for path in keys(local.http_paths) : path => [
      for param in flatten(regexall("\\{([A-Za-z_][A-Za-z0-9_]*)\\}", path)) : {
        name     = param
        in       = "path"
        required = true
        type     = "string"
      }
    ]
  }

  # Routes anyone may call: public ones and webhooks (which check a signature over the body themselves). Every
  # other route needs a Firebase ID token, which the gateway checks too (issuer, audience, signature, expiry)
  # before the function checks it again: defence in depth, and a forged request never reaches a function.
  open_roles = ["public", "webhook"]

  gateway_paths = {
    for path, names in local.http_paths : path => merge(
      {
        for name in names : lower(local.http_functions[name].http.method) => merge(
          {
            operationId        = name
            summary            = local.http_functions[name].summary
            parameters         = local.path_parameters[path]
            "x-google-backend" = local.gateway_backends[name]
            responses          = { default = { description = "See the Bloom OpenAPI document (/api/openapi.json)." } }
          },
          contains(local.open_roles, local.http_functions[name].http.role) ? {} : { security = [{ firebase = [] }] },
        )
      },
      {
        # CORS preflight goes to one of the path's functions; the function answers OPTIONS itself.
        options = {
          operationId        = "${names[0]}_preflight"
          summary            = "CORS preflight"
          parameters         = local.path_parameters[path]
          "x-google-backend" = local.gateway_backends[names[0]]
          responses          = { "204" = { description = "CORS preflight response." } }
        }
      }
    )
  }

  gateway_document = {
    swagger = "2.0"
    info    = { title = "bloom-${var.environment}", version = "1.0.0" }
    schemes = ["https"]
    paths   = local.gateway_paths
    # Firebase Auth ID tokens of this project: https://cloud.google.com/api-gateway/docs/authenticating-users-firebase
    securityDefinitions = {
      firebase = {
        authorizationUrl     = ""
        flow                 = "implicit"
        type                 = "oauth2"
        "x-google-issuer"    = "https://securetoken.google.com/${var.project_id}"
        "x-google-jwks_uri"  = "https://www.googleapis.com/service_accounts/v1/metadata/x509/securetoken@system.gserviceaccount.com"
        "x-google-audiences" = var.project_id
      }
    }
  }
}

resource "google_service_account" "gateway" {
  account_id   = "bloom-api-gateway"
  display_name = "Bloom API Gateway (invokes the HTTP functions)"
}

resource "google_api_gateway_api" "bloom" {
  provider = google-beta

  api_id       = "bloom-${var.environment}"
  display_name = "Bloom API (${var.environment})"
  labels       = local.labels

  depends_on = [google_project_service.api]
}

# A gateway serves only once the API's own managed service is enabled.
resource "google_project_service" "gateway_managed_service" {
  project            = var.project_id
  service            = google_api_gateway_api.bloom.managed_service
  disable_on_destroy = false
}

# Configs are immutable: each change creates a new one (random suffix) before the old one goes.
resource "google_api_gateway_api_config" "bloom" {
  provider = google-beta

  api                  = google_api_gateway_api.bloom.api_id
  api_config_id_prefix = "bloom-"
  display_name         = "Bloom API config (${var.environment})"
  labels               = local.labels

  openapi_documents {
    document {
      path     = "openapi.yaml"
      contents = base64encode(jsonencode(local.gateway_document))
    }
  }

  gateway_config {
    backend_config {
      google_service_account = google_service_account.gateway.email
    }
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "google_api_gateway_gateway" "bloom" {
  provider = google-beta

  gateway_id   = "bloom-${var.environment}"
  display_name = "Bloom gateway (${var.environment})"
  region       = var.gateway_region
  api_config   = google_api_gateway_api_config.bloom.id
  labels       = local.labels

  depends_on = [google_project_service.gateway_managed_service]
}
