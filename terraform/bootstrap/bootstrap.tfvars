# The repository both environments build from, and where CI runs (the staging project).
ci_project_id     = "bloom-backend-staging"
github_owner      = "chaynHQ"
github_repository = "bloom-backend"
# Who may approve deploys (roles/cloudbuild.builds.approver in each environment): required, e.g.
#   approvers = ["group:bloom-deployers@chayn.co"]
