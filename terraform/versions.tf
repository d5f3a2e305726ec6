terraform {
  # 1.9: a variable's validation may read another variable (alert_emails reads environment).
  required_version = ">= 1.9.0, < 2.0.0"

  # The exact versions and their checksums are in .terraform.lock.hcl, committed: CI and CD install exactly those
  # (docs/deploy.md, "The lock file").
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.49.0"
    }
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "~> 6.49.0"
    }
    time = {
      source  = "hashicorp/time"
      version = "~> 0.9.1"
    }
  }

  # Partial configuration: the state bucket and prefix come from the environment, e.g.
  #   terraform init -backend-config=environments/staging.gcs.tfbackend
  backend "gcs" {}
}

provider "google" {
  project = var.project_id
  region  = var.region
}

provider "google-beta" {
  project = var.project_id
  region  = var.region
}
