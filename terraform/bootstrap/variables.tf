# Read from the environment's own tfvars (-var-file=../environments/ENV.tfvars; its other variables are the main
# configuration's and only draw a warning here) plus -var-file=bootstrap.tfvars for the repository.

variable "project_id" {
  description = "The environment's project."
  type        = string
}

variable "environment" {
  description = "staging or production: names the CD trigger and picks ../environments/<environment>.gcs.tfbackend."
  type        = string
}

variable "region" {
  description = "Region of the CI artifacts bucket."
  type        = string
}

variable "ci_project_id" {
  description = "The project where CI runs and keeps the plans it makes for every environment."
  type        = string
}

variable "github_owner" {
  description = "Owner of the GitHub repository the triggers build (connected to Cloud Build once, in the console)."
  type        = string
}

variable "github_repository" {
  description = "Name of that repository."
  type        = string
}

variable "approvers" {
  description = "Who may approve this environment's deploys (roles/cloudbuild.builds.approver), e.g. [\"group:bloom-deployers@chayn.co\"]."
  type        = list(string)

  validation {
    condition     = length(var.approvers) > 0 && alltrue([for member in var.approvers : can(regex("^(user|group):[^@\\s]+@[^@\\s]+$", member))])
    error_message = "Name at least one approver, each as user:EMAIL or group:EMAIL."
  }
}
