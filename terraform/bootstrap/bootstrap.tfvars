# The repository both environments build from, and where CI runs (the staging project).
ci_project_id     = "bloom-backend-staging"
github_owner      = "chaynHQ"
github_repository = "bloom-backend"
