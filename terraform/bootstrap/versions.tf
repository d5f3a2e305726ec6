terraform {
  required_version = ">= 1.9.0, < 2.0.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.49.0"
    }
  }

  # The environment's state bucket, under its own prefix (docs/deploy.md, first deploy):
  #   terraform init -backend-config=../environments/ENV.gcs.tfbackend -backend-config=prefix=bootstrap/ENV
  backend "gcs" {}
}

provider "google" {
  project = var.project_id
  region  = var.region
}
