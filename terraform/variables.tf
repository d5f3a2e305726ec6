# One GCP project per environment: service account ids, topics and the Firestore (default) database are
# per project, so staging and production must not share one.

variable "project_id" {
  description = "GCP project that hosts this environment."
  type        = string
}

variable "environment" {
  description = "Environment name, exposed to functions as BLOOM_ENV."
  type        = string

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be \"staging\" or \"production\"."
  }
}

variable "region" {
  description = "Region of the functions, topics, scheduler jobs, secrets and source bucket."
  type        = string
  default     = "europe-west2"
}

variable "gateway_region" {
  description = "Region of the API Gateway (it is offered in fewer regions than Cloud Functions)."
  type        = string
  default     = "europe-west2"
}

variable "firestore_location" {
  description = "Location of the Firestore (default) database; it cannot be changed after creation."
  type        = string
  default     = "europe-west2"
}

variable "frontend_origins" {
  description = "Browser origins allowed by CORS, exposed to functions as BLOOM_CORS_ORIGINS."
  type        = list(string)

  validation {
    condition     = alltrue([for origin in var.frontend_origins : can(regex("^https?://[^/,]+$", origin))])
    error_message = "Each origin is scheme://host[:port], without a path or a comma."
  }
}

variable "bundle_path" {
  description = "Source zip built by `make bundle`, relative to this directory."
  type        = string
  default     = "../build/bundle.zip"
}

variable "closures_path" {
  description = "Each function's (and service's) closure hash, written by `make bundle` next to the bundle, relative to this directory."
  type        = string
  default     = "../build/closures.json"
}

variable "service_images" {
  description = "Container image per Cloud Run service (terraform/cloud_run.tf), name => <repository>/<service>@sha256:<digest>: the plan build's build/service-images.tfvars.json (docs/deploy.md, Service images)."
  type        = map(string)
  default     = {}

  # By digest only: a tag could point elsewhere between the plan an approver reads and the apply.
  validation {
    condition     = alltrue([for image in values(var.service_images) : can(regex("^[a-z0-9.-]+(/[a-z0-9._-]+)+@sha256:[0-9a-f]{64}$", image))])
    error_message = "Pin each service image by digest (<repository>/<service>@sha256:<digest>), as cloudbuild/plan.yaml does."
  }
}

variable "max_instance_count" {
  description = "Upper bound of instances per function (a cost and abuse guard)."
  type        = number
  default     = 20
}

variable "topic_message_retention" {
  description = "How long topics keep messages, so a subscription can seek back after an incident."
  type        = string
  default     = "604800s"
}

variable "simplybook_company" {
  description = "Simplybook company login, exposed to functions as SIMPLYBOOK_COMPANY (the therapy webhooks refuse every delivery while it is empty)."
  type        = string
  default     = ""
}

variable "crisp_website_id" {
  description = "Crisp website id, exposed to functions as CRISP_WEBSITE_ID (Crisp profiles are not synced while it is empty)."
  type        = string
  default     = ""
}

variable "mailchimp_api_url" {
  description = "Mailchimp API base, e.g. https://us21.api.mailchimp.com/3.0, exposed as MAILCHIMP_API_URL (no sync while empty)."
  type        = string
  default     = ""
}

variable "mailchimp_audience_id" {
  description = "Mailchimp audience (list) id, exposed to functions as MAILCHIMP_AUDIENCE_ID (no sync while empty)."
  type        = string
  default     = ""
}

variable "trusted_proxy_hops" {
  description = <<-EOT
    How many Google proxies append to X-Forwarded-For between the caller and a function (API Gateway's
    front end, then Cloud Run's). The caller's address is that many entries from the right; entries further
    left are client-written and never trusted (rate limits key on this). Verify after the first deploy by
    logging the header once from a known address, and adjust; again once the API origin's load balancer (api_url)
    is in front, which adds its own entries (docs/deploy.md, "The API origin").
  EOT
  type        = number
  default     = 2
}

variable "alert_emails" {
  description = "Who Cloud Monitoring emails when an alert policy fires (monitoring.tf); required in production."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for email in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+$", email))])
    error_message = "Each alert recipient is an email address."
  }

  # An alert nobody receives is no alert: production must name someone.
  validation {
    condition     = var.environment != "production" || length(var.alert_emails) > 0
    error_message = "Set alert_emails in environments/production.tfvars: production alerts must reach someone."
  }
}

variable "secret_versions" {
  description = <<-EOT
    The version each function reads of each secret, by secret name (e.g. { NAME = "3" }): pinned, so that a new
    value (`make secrets`) reaches the functions only through a reviewed plan, and a rollback is a commit.
  EOT
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for version in values(var.secret_versions) : can(regex("^[1-9][0-9]*$", version))])
    error_message = "A version number (never \"latest\")."
  }
}

variable "error_rate_threshold" {
  description = "Share of a function's (or the gateway's) responses that may be 5xx over 5 minutes before an alert."
  type        = number
  default     = 0.05

  validation {
    condition     = var.error_rate_threshold > 0 && var.error_rate_threshold < 1
    error_message = "A share between 0 and 1."
  }
}

variable "webauthn_rp_id" {
  description = "The passkeys' relying party id: the frontend's registrable domain (e.g. bloom.chayn.co), as WEBAUTHN_RP_ID."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+$", var.webauthn_rp_id))
    error_message = "A domain name, without scheme or port."
  }
}

variable "api_url" {
  description = <<-EOT
    The API's public base URL ending in /api, on a domain of ours (e.g. https://api.bloom.chayn.co/api), as
    BLOOM_API_URL: calendar feed addresses are built on it. Its host is the API origin: the HTTPS load balancer of
    load_balancer.tf serves it (API Gateway, and the live chat's socket), with a Google-managed certificate. Unset,
    there is no load balancer and the frontend calls the gateway's own hostname (no live chat).
  EOT
  type        = string
  default     = null

  validation {
    condition     = var.api_url == null || can(regex("^https://[a-z0-9]([a-z0-9.-]*[a-z0-9])?/api$", var.api_url))
    error_message = "An https URL on a domain name (lower case, no port) ending in /api."
  }

  # The load balancer gets a certificate for api_url's host: the gateway's own hostname is Google's, not ours.
  validation {
    condition     = var.api_url == null || !can(regex("\\.gateway\\.dev/", var.api_url))
    error_message = "api_url is the API origin on our own domain (its DNS A record is the output api_address), not the gateway's hostname."
  }

  validation {
    condition     = var.environment != "production" || var.api_url != null
    error_message = "Set api_url in environments/production.tfvars: calendar feed addresses are built on it."
  }
}

variable "billing_provider" {
  description = "The practice as billing provider on insurance claims (claims area: BILLING_PROVIDER_*). Unset, claims are refused with a 400 naming billingProvider."
  type = object({
    name        = string
    npi         = string
    tax_id      = string
    address1    = string
    city        = string
    state       = string
    postal_code = string
  })
  default = null

  validation {
    condition     = var.billing_provider == null || can(regex("^[0-9]{10}$", var.billing_provider.npi))
    error_message = "The billing provider's NPI is 10 digits."
  }
}
