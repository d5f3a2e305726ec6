terraform {
  required_version = ">= 1.6.0, < 2.0.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.14"
    }
  }

  # The environment's state bucket, under its own prefix (README, "Deploy", first deploy):
  #   terraform init -backend-config=../environments/ENV.gcs.tfbackend -backend-config=prefix=bootstrap/ENV
  backend "gcs" {}
}

provider "google" {
  project = var.project_id
  region  = var.region
}
