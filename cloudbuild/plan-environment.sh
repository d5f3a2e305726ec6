#!/bin/sh
# One environment's plan for cloudbuild/plan.yaml, run from terraform/: plan-environment.sh ENVIRONMENT COMMIT.
# The plan, its text, the bundle, the closures, the service images (by digest, ../build/service-images.tfvars.json,
# which the plan takes as variables) and their digests are made in plans.partial/ENVIRONMENT and moved to
# plans/ENVIRONMENT only once all are there, so plans/ holds complete plans only: the save step uploads each one
# whatever became of the other environments' plans.
set -eu

environment="$1"
commit="$2"
work="../plans.partial/$environment"
rm -rf "$work"
mkdir -p "$work" ../plans

# -lock=false: the plan account may read the state, never write it (nor its lock).
terraform init -input=false -reconfigure -lockfile=readonly -backend-config="environments/$environment.gcs.tfbackend"
terraform plan -input=false -lock=false -var-file="environments/$environment.tfvars" \
  -var-file=../build/service-images.tfvars.json -out="$work/tfplan"
echo "================ plan for $environment (commit $commit) ================"
terraform show -no-color "$work/tfplan" >"$work/plan.txt"
cat "$work/plan.txt"
cp ../build/bundle.zip ../build/closures.json ../build/service-images.tfvars.json "$work/"
(cd "$work" && sha256sum tfplan plan.txt bundle.zip closures.json service-images.tfvars.json >SHA256SUMS && cat SHA256SUMS)
mv "$work" "../plans/$environment"
