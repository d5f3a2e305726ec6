"""CI, plans and CD apart: CI (cloudbuild.yaml) checks and tests every branch and touches no environment; main's plan
build alone saves plans; CD applies exactly a saved plan whose digests match, with the committed lock's providers.

The Cloud Build files are read as YAML, the bootstrap Terraform (triggers, deployer, CI and plan accounts) with hcl2.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml  # type: ignore[import-untyped]

from infra.bundle import SERVICE_DOCKERFILE
from tests.support.terraform import bootstrap_locals as _bootstrap_locals
from tests.support.terraform import bootstrap_permissions as _permissions
from tests.support.terraform import bootstrap_resources as _bootstrap
from tests.support.terraform import bootstrap_roles as _roles

ROOT = Path(__file__).resolve().parents[2]
CI = ROOT / "cloudbuild.yaml"  # the design card's top level
PLAN = ROOT / "cloudbuild" / "plan.yaml"
PLAN_ENVIRONMENT = ROOT / "cloudbuild" / "plan-environment.sh"
CD = ROOT / "cloudbuild" / "cd.yaml"
TERRAFORM = ROOT / "terraform"
BOOTSTRAP = TERRAFORM / "bootstrap"
ENVIRONMENTS = sorted(path.stem for path in (TERRAFORM / "environments").glob("*.tfvars"))
INSTALLERS = re.compile(r"\b(apt-get|apt|pip|npm|npx|curl|wget|apk|yum)\b|providers mirror|get\.hashicorp|plugin-dir")
PINNED_IMAGE = re.compile(r"^[a-z0-9./_-]+:(?!latest\b)[0-9][A-Za-z0-9._-]*$")


@cache
def _build(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def _steps(path: Path) -> dict[str, dict[str, Any]]:
    return {step["id"]: step for step in _build(path)["steps"]}


def _script(step: dict[str, Any]) -> str:
    return " ".join([str(step.get("entrypoint", "")), *(str(arg) for arg in step.get("args", []))])


def _unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


# --- CI ---------------------------------------------------------------------------------------------------------


def test_ci_runs_every_check_the_repository_has() -> None:
    scripts = {step_id: _script(step) for step_id, step in _steps(CI).items()}
    text = " ".join(scripts.values())
    for command in (
        "ruff check .",
        "ruff format --check .",
        "lint-imports",
        "mypy",
        "-m pytest",
        "infra.bundle",
        "fmt -check -recursive terraform",
        "validate",
    ):
        assert command in text, f"CI does not run {command!r}"
    assert 'PATH="/workspace/.bin:$$PATH"' in scripts["test"], "the tests need terraform (terraform console)"
    assert "-lockfile=readonly" in scripts["terraform-validate"], "CI installs the committed lock's providers only"


def test_ci_touches_no_environment() -> None:
    """CI runs every branch's unreviewed code: no plan, no state, no artifacts bucket."""
    text = " ".join(_script(step) for step in _steps(CI).values())
    for forbidden in ("terraform plan", "-backend-config", "_ARTIFACTS_BUCKET", "gcloud storage"):
        assert forbidden not in text, forbidden
    assert "substitutions" not in _build(CI)


def test_ci_builds_the_service_image_as_the_plan_build_does_and_never_pushes_it() -> None:
    build = ["build", "--file", SERVICE_DOCKERFILE.as_posix(), "build/bundle"]
    assert _steps(CI)["service-image"]["args"] == build
    assert "-m zipfile -e build/bundle.zip build/bundle" in _script(_steps(CI)["bundle"])
    assert "-m zipfile -e build/bundle.zip build/bundle" in _script(_steps(PLAN)["service-image-tags"])
    assert 'docker build --file infra/service.Dockerfile --tag "$$image" build/bundle' in _script(
        _steps(PLAN)["service-images"]
    )
    assert not re.search(r"\bpush\b", " ".join(_script(step) for step in _steps(CI).values()))


def test_nothing_points_at_the_old_ci_file() -> None:
    for path in (
        ROOT / "README.md",
        ROOT / "Makefile",
        *sorted((ROOT / "docs").glob("*.md")),
        *sorted(TERRAFORM.rglob("*.tf")),
    ):
        assert "cloudbuild/ci.yaml" not in path.read_text(), path


# --- plans ------------------------------------------------------------------------------------------------------


def test_the_plan_build_plans_every_environment_and_saves_what_cd_needs_with_digests() -> None:
    assert sorted(_build(PLAN)["substitutions"]["_ENVIRONMENTS"].split()) == ENVIRONMENTS
    assert _steps(PLAN)["terraform-plan"]["dir"] == "terraform"
    assert "sh ../cloudbuild/plan-environment.sh" in _script(_steps(PLAN)["terraform-plan"])
    plan = PLAN_ENVIRONMENT.read_text()
    assert '-backend-config="environments/$environment.gcs.tfbackend"' in plan
    assert '-var-file="environments/$environment.tfvars"' in plan
    assert "-lock=false" in plan, "the plan account reads the state, never writes it"
    assert "-lockfile=readonly" in plan, "providers are the committed lock file's"
    assert "terraform show -no-color" in plan, "the plan is printed for the approver"
    assert "sha256sum tfplan plan.txt bundle.zip closures.json service-images.tfvars.json >SHA256SUMS" in plan
    assert "-var-file=../build/service-images.tfvars.json" in plan, "the plan pins the service images it reads"
    save = _script(_steps(PLAN)["save-plans"])
    assert "gs://${_ARTIFACTS_BUCKET}/${COMMIT_SHA}/" in save and "--no-clobber" in save
    assert "providers" not in save and "lock.hcl" not in plan, "CD never takes providers or a lock from the bucket"


FAKE_TERRAFORM = """#!/bin/sh
# terraform as the plan build calls it: `plan` fails for the environment named in FAIL_PLAN_OF.
case "$1" in
  plan)
    case "$*" in *"environments/$FAIL_PLAN_OF.tfvars"*) echo "Error: Invalid value for variable" >&2; exit 1;; esac
    for arg in "$@"; do case "$arg" in -out=*) echo "plan of $*" >"${arg#-out=}";; esac; done;;
  show) cat "$3";;
esac
"""
FAKE_GCLOUD = """#!/bin/sh
# gcloud storage cp: records what it was asked to upload.
echo "$@" >>"$UPLOADS"
"""


SERVICE_IMAGES = "europe-west2-docker.pkg.dev/ci-project/bloom-services"
FAKE_DOCKER = """#!/bin/sh
# docker as the service-images step calls it, against a registry that is a file of the tags it holds.
echo "$*" >>"$DOCKER_CALLS"
case "$1 $2" in
  "manifest inspect") grep -qxF "$3" "$REGISTRY";;
  "image inspect") image="$5"; echo "${image%:*}@sha256:$(printf %s "$image" | sha256sum | cut -c1-64)";;
  *) case "$1" in push) echo "$2" >>"$REGISTRY";; esac;;
esac
"""


def _run_step(step: dict[str, Any], workspace: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A step's entrypoint and arguments, substituted as Cloud Build does, in its directory of the workspace."""
    substitutions = {
        "${_ENVIRONMENTS}": _build(PLAN)["substitutions"]["_ENVIRONMENTS"],
        "${COMMIT_SHA}": "c0ffee",
        "${_ARTIFACTS_BUCKET}": "plans",
        "${_SERVICE_IMAGES}": SERVICE_IMAGES,
    }
    args = []
    for arg in step["args"]:
        substituted = str(arg)
        for name, value in substitutions.items():
            substituted = substituted.replace(name, value)
        args.append(substituted.replace("$$", "$"))
    return subprocess.run(
        [step["entrypoint"], *args],
        cwd=workspace / step.get("dir", "."),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_one_environments_failing_plan_costs_no_other_its_saved_plan(tmp_path: Path) -> None:
    """Production's plan fails until its tfvars are complete (docs/deploy.md); staging's must still be saved."""
    *others, failing = _build(PLAN)["substitutions"]["_ENVIRONMENTS"].split()  # production, planned after staging
    workspace = tmp_path / "workspace"
    (workspace / "terraform").mkdir(parents=True)
    (workspace / "cloudbuild").mkdir()
    shutil.copy2(PLAN_ENVIRONMENT, workspace / "cloudbuild" / PLAN_ENVIRONMENT.name)
    (workspace / "build").mkdir()
    (workspace / "build" / "bundle.zip").write_bytes(b"bundle")
    (workspace / "build" / "closures.json").write_text("{}")
    tools = tmp_path / "bin"
    tools.mkdir()
    (workspace / "build" / "service-images.tfvars.json").write_text('{"service_images": {}}')
    for name, text in (("terraform", FAKE_TERRAFORM), ("gcloud", FAKE_GCLOUD)):
        (tools / name).write_text(text)
        (tools / name).chmod(0o755)
    uploads = tmp_path / "uploads"
    env = {"PATH": f"{tools}:{os.environ['PATH']}", "FAIL_PLAN_OF": failing, "UPLOADS": str(uploads)}

    planned = _run_step(_steps(PLAN)["terraform-plan"], workspace, env)
    assert planned.returncode == 0, planned.stderr
    saved = _run_step(_steps(PLAN)["save-plans"], workspace, env)

    assert saved.returncode != 0 and f"no plan for: {failing}" in saved.stdout, "the build must still fail"
    assert sorted(path.name for path in (workspace / "plans").iterdir()) == others
    for environment in others:
        plan = workspace / "plans" / environment
        assert sorted(path.name for path in plan.iterdir()) == [
            "SHA256SUMS",
            "bundle.zip",
            "closures.json",
            "plan.txt",
            "service-images.tfvars.json",
            "tfplan",
        ]
        checked = subprocess.run(["sha256sum", "--check", "--strict", "SHA256SUMS"], cwd=plan, check=False)
        assert checked.returncode == 0
        assert "service-images.tfvars.json" in (plan / "SHA256SUMS").read_text()
        assert "-var-file=../build/service-images.tfvars.json" in (plan / "tfplan").read_text()
    [upload] = uploads.read_text().splitlines()
    assert upload.split()[:4] == ["storage", "cp", "--recursive", "--no-clobber"]
    assert upload.split()[4:] == [*(f"plans/{environment}" for environment in others), "gs://plans/c0ffee/"]


def test_every_service_image_is_built_once_per_closure_and_pinned_by_digest(tmp_path: Path) -> None:
    """The image steps of the plan build, with docker faked: a service whose closure hash has no image yet is
    built from the unpacked bundle and pushed; one whose tag exists is only pulled; the plans get each by digest."""
    manifest = json.loads((TERRAFORM / "functions.json").read_text())
    [first, *_] = manifest["services"]
    second = {**first, "name": "zz_second", "deploy_name": "zz-second"}  # a second service, already built
    manifest["services"] = [*manifest["services"], second]
    closures = {"functions": {}, "services": {svc["name"]: f"{n:064x}" for n, svc in enumerate(manifest["services"])}}
    workspace = tmp_path / "workspace"
    (workspace / "build").mkdir(parents=True)
    with zipfile.ZipFile(workspace / "build" / "bundle.zip", "w") as archive:
        archive.writestr("functions.json", json.dumps(manifest))
        archive.writestr("main.py", "")
    (workspace / "build" / "closures.json").write_text(json.dumps(closures))
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "docker").write_text(FAKE_DOCKER)
    (tools / "docker").chmod(0o755)
    (tools / "python").symlink_to(sys.executable)
    registry, calls = tmp_path / "registry", tmp_path / "calls"
    existing = f"{SERVICE_IMAGES}/zz-second:{closures['services']['zz_second']}"
    registry.write_text(f"{existing}\n")
    env = {
        "PATH": f"{tools}:{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "REGISTRY": str(registry),
        "DOCKER_CALLS": str(calls),
    }

    steps = _steps(PLAN)
    order = list(steps)
    for step_id in ("service-image-tags", "service-images", "service-images-pinned"):
        assert order.index("bundle") < order.index(step_id) < order.index("terraform-plan")
        done = _run_step(steps[step_id], workspace, env)
        assert done.returncode == 0, f"{step_id}: {done.stdout}{done.stderr}"

    assert (workspace / "build" / "bundle" / "functions.json").is_file(), "the image context is the unpacked bundle"
    built = [line.split() for line in calls.read_text().splitlines() if line.startswith(("build", "push", "pull"))]
    new_image = f"{SERVICE_IMAGES}/{first['deploy_name']}:{closures['services'][first['name']]}"
    assert built == [
        ["build", "--file", SERVICE_DOCKERFILE.as_posix(), "--tag", new_image, "build/bundle"],
        ["push", new_image],
        ["pull", "--quiet", existing],
    ]
    pinned = json.loads((workspace / "build" / "service-images.tfvars.json").read_text())["service_images"]
    assert sorted(pinned) == sorted(svc["name"] for svc in manifest["services"])
    for svc in manifest["services"]:
        assert re.fullmatch(
            rf"{re.escape(SERVICE_IMAGES)}/{svc['deploy_name']}@sha256:[0-9a-f]{{64}}", pinned[svc["name"]]
        )

    # A trigger without the substitution makes no image.
    refused = subprocess.run(
        ["python", "-m", "infra.service_images", "tags", "--repository", "", "--build", "build"],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode != 0 and "_SERVICE_IMAGES" in refused.stderr


def test_the_first_deploy_says_what_productions_plan_needs() -> None:
    """Production's plan refuses to pass without alert recipients and pinned secret versions."""
    readme = (ROOT / "docs" / "deploy.md").read_text()
    section = readme[readme.index("**First deploy on a fresh project**") :]
    paragraph = section[section.index("Production's tfvars must be complete before its plan can pass") :]
    paragraph = paragraph[: paragraph.index("\n\n")]
    assert "`alert_emails`" in paragraph and "`secret_versions`" in paragraph and "saves staging's" in paragraph


# --- CD ---------------------------------------------------------------------------------------------------------


def test_cd_applies_exactly_the_reviewed_plan() -> None:
    steps = _steps(CD)
    fetch = _script(steps["fetch-reviewed-plan"])
    assert 'gs://${_ARTIFACTS_BUCKET}/${COMMIT_SHA}/${_ENV}"' in fetch
    assert "lock.hcl" not in fetch and "providers" not in fetch, "never providers or a lock from the bucket"
    init = _script(steps["terraform-init"])
    assert "-lockfile=readonly" in init and "-plugin-dir" not in init, "the committed lock file's providers"
    assert "-backend-config=environments/${_ENV}.gcs.tfbackend" in init
    assert steps["terraform-apply"]["args"] == [
        "apply",
        "-input=false",
        "-lock-timeout=5m",
        "-parallelism=30",
        "/workspace/reviewed/tfplan",
    ]
    order = list(steps)
    assert order.index("check-plan-digests") < order.index("terraform-apply")
    check = _script(steps["check-plan-digests"])
    assert "sha256sum --check --strict SHA256SUMS" in check
    assert steps["check-plan-digests"]["dir"] == "reviewed"
    replanning = [
        step_id
        for step_id, step in steps.items()
        if "terraform plan" in _script(step)
        or step.get("args", [None])[0] == "plan"
        or "-auto-approve" in _script(step)
    ]
    assert not replanning, f"CD must apply CI's saved plan, not make its own: {replanning}"


def test_cd_installs_nothing_but_the_locked_providers() -> None:
    for step_id, step in _steps(CD).items():
        assert not INSTALLERS.search(_script(step)), f"CD step {step_id} downloads or installs software"


def test_production_applies_only_what_staging_applied() -> None:
    steps = _steps(CD)
    order = list(steps)
    fetch = _script(steps["fetch-reviewed-plan"])
    assert 'gs://${_ARTIFACTS_BUCKET}/applied/${_REQUIRES_APPLIED}/${COMMIT_SHA}"' in fetch
    record = _script(steps["record-applied"])
    assert 'gs://${_ARTIFACTS_BUCKET}/applied/${_ENV}/${COMMIT_SHA}"' in record
    assert order[-1] == "record-applied" and order.index("terraform-apply") < order.index("record-applied")
    cd = _bootstrap()[("google_cloudbuild_trigger", "cd")]
    assert cd["substitutions"]["_REQUIRES_APPLIED"] == '${var.environment == "production" ? "staging" : ""}'
    recorder = _bootstrap()[("google_storage_bucket_iam_member", "deployer_applied")]
    assert _unquote(recorder["role"]) == "roles/storage.objectCreator"
    assert "objects/${local.applied_prefix}" in recorder["condition"][0]["expression"]
    assert _unquote(_bootstrap_locals()["applied_prefix"]) == "applied/${var.environment}/"


def test_cd_has_time_for_a_full_deploy() -> None:
    """~130 functions, each a Cloud Build of a few minutes: 30 at a time, within the build's timeout."""
    seconds = int(_build(CD)["timeout"].rstrip("s"))
    functions = len(json.loads((TERRAFORM / "functions.json").read_text())["functions"])
    parallelism = int(
        next(a for a in _steps(CD)["terraform-apply"]["args"] if a.startswith("-parallelism=")).split("=")[1]
    )
    minutes_per_build = 10
    assert seconds >= -(-functions // parallelism) * minutes_per_build * 60


@pytest.mark.parametrize("path", [CI, PLAN, CD], ids=lambda path: path.name)
def test_every_image_is_pinned_to_a_version(path: Path) -> None:
    for step_id, step in _steps(path).items():
        assert PINNED_IMAGE.match(step["name"]), f"{path.name} {step_id}: pin {step['name']} to a version"


def test_ci_and_cd_use_the_same_tools() -> None:
    def images(path: Path) -> dict[str, str]:
        return {step["name"].split(":")[0]: step["name"] for step in _build(path)["steps"]}

    ci, plan, cd = images(CI), images(PLAN), images(CD)
    for other in (plan, cd):
        assert {name: other[name] for name in other if name in ci} == {name: ci[name] for name in other if name in ci}
    assert {name: cd[name] for name in cd} == {name: plan[name] for name in cd}


def test_the_state_bucket_and_region_are_written_once_per_environment() -> None:
    """Only environments/<env>.gcs.tfbackend names the state bucket and only <env>.tfvars the region."""
    for path in (CI, PLAN, CD):
        text = path.read_text()
        assert "_TF_STATE_BUCKET" not in text and "_REGION" not in text and "-var=" not in text, path.name
        assert "tfstate" not in text and "europe-" not in text, path.name
    pattern = _unquote(_bootstrap_locals()["state_bucket"])
    assert 'file("${local.environments_dir}/${var.environment}.gcs.tfbackend")' in pattern
    [regex] = re.findall(r'regex\("(.+?)", file', pattern)
    for environment in ENVIRONMENTS:
        backend = (TERRAFORM / "environments" / f"{environment}.gcs.tfbackend").read_text()
        with (TERRAFORM / "environments" / f"{environment}.gcs.tfbackend").open() as handle:
            expected = _unquote(hcl2.load(handle)["bucket"])
        match = re.search(regex.encode().decode("unicode_escape"), backend)
        assert match is not None and match.group(1) == expected


# --- bootstrap: triggers and accounts ---------------------------------------------------------------------------


def _main_only(trigger: dict[str, Any]) -> bool:
    return [_unquote(push["branch"]) for github in trigger["github"] for push in github["push"]] == ["^main$"]


def test_cd_triggers_wait_for_a_named_approver_and_run_as_the_deployer() -> None:
    cd = _bootstrap()[("google_cloudbuild_trigger", "cd")]
    assert [config["approval_required"] for config in cd["approval_config"]] == [True]
    assert _unquote(cd["filename"]) == "cloudbuild/cd.yaml" and _main_only(cd)
    assert cd["service_account"] == "${google_service_account.deployer.id}"
    assert cd["substitutions"]["_ENV"] == "${var.environment}"
    approver = _bootstrap()[("google_project_iam_member", "approver")]
    assert approver["for_each"] == "${toset(var.approvers)}"
    assert _unquote(approver["role"]) == "roles/cloudbuild.builds.approver"
    with (BOOTSTRAP / "variables.tf").open() as handle:
        [variable] = [v['"approvers"'] for v in hcl2.load(handle)["variable"] if '"approvers"' in v]
    assert "default" not in variable and "length(var.approvers) > 0" in variable["validation"][0]["condition"]


def test_ci_runs_cloudbuild_yaml_and_only_mains_plan_build_may_write_plans() -> None:
    ci = _bootstrap()[("google_cloudbuild_trigger", "ci")]
    assert _unquote(ci["filename"]) == "cloudbuild.yaml" == CI.relative_to(ROOT).as_posix()
    assert ci["service_account"] == "${google_service_account.ci[0].id}"
    assert "approval_config" not in ci and "substitutions" not in ci
    plan = _bootstrap()[("google_cloudbuild_trigger", "plan")]
    assert _unquote(plan["filename"]) == PLAN.relative_to(ROOT).as_posix() and _main_only(plan)
    assert plan["service_account"] == "${google_service_account.planner[0].id}"
    writers = {
        name: body
        for (rtype, name), body in _bootstrap().items()
        if rtype == "google_storage_bucket_iam_member"
        and re.search(r"plans|artifacts_bucket", json.dumps(body.get("bucket")))
    }
    roles = {name: _unquote(body["role"]) for name, body in writers.items()}
    assert roles == {
        "planner_plans": "roles/storage.objectCreator",  # create only: a saved plan is never replaced
        "deployer_plans": "roles/storage.objectViewer",
        "deployer_applied": "roles/storage.objectCreator",  # its applied/<env>/ records only (condition)
    }
    assert _unquote(writers["planner_plans"]["member"]) == "serviceAccount:${google_service_account.planner[0].email}"
    uses_ci_account = {key for key, body in _bootstrap().items() if "google_service_account.ci" in json.dumps(body)}
    assert uses_ci_account == {("google_cloudbuild_trigger", "ci"), ("google_project_iam_member", "build_logs")}
    logs = _bootstrap()[("google_project_iam_member", "build_logs")]
    assert _unquote(logs["role"]) == "roles/logging.logWriter", "the CI account holds nothing but its logs"
    assert "bloom-planner@" in _unquote(_bootstrap_locals()["planner_account"])


def test_the_service_images_live_in_the_ci_project_and_only_the_plan_account_writes_them() -> None:
    repository = _bootstrap()[("google_artifact_registry_repository", "services")]
    assert repository["count"] == "${local.is_ci_project ? 1 : 0}" and _unquote(repository["format"]) == "DOCKER"
    assert [config["immutable_tags"] for config in repository["docker_config"]] == [True], "a tag is one image"
    assert repository["cleanup_policy_dry_run"] is False
    actions = {_unquote(policy["action"]): policy for policy in repository["cleanup_policies"]}
    assert sorted(actions) == ["DELETE", "KEEP"]
    assert actions["KEEP"]["most_recent_versions"][0]["keep_count"] >= 5, "recent images stay for rollbacks"
    grants = {
        name: (_unquote(body["role"]), _unquote(body["member"]))
        for (rtype, name), body in _bootstrap().items()
        if rtype == "google_artifact_registry_repository_iam_member"
    }
    assert grants == {
        "planner_service_images": (
            "roles/artifactregistry.writer",
            "serviceAccount:${google_service_account.planner[0].email}",
        ),
        "service_images_reader": ("roles/artifactregistry.reader", "${each.value}"),
    }
    readers = _bootstrap()[("google_artifact_registry_repository_iam_member", "service_images_reader")]
    assert {name: _unquote(member) for name, member in readers["for_each"].items()} == {
        "run_agent": "serviceAccount:service-${data.google_project.environment.number}"
        "@serverless-robot-prod.iam.gserviceaccount.com",
        "deployer": "serviceAccount:${google_service_account.deployer.email}",
    }
    # Each environment's, on the CI project's repository.
    assert (readers["project"], readers["repository"]) == ("${var.ci_project_id}", "${local.service_images_repository}")
    assert repository["repository_id"] == "${local.service_images_repository}"
    plan = _bootstrap()[("google_cloudbuild_trigger", "plan")]
    assert _unquote(plan["substitutions"]["_SERVICE_IMAGES"]) == (
        "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.services[0].repository_id}"
    )
    assert "_SERVICE_IMAGES" in _build(PLAN)["substitutions"]


def test_the_repository_is_connected_in_each_environments_project() -> None:
    """Each CD trigger lives in its environment's project, so the repository is connected there too."""
    readme = (ROOT / "docs" / "deploy.md").read_text()
    section = readme[readme.index("**First deploy on a fresh project**") :]
    assert "in this environment's project" in section and "Connect" in section


def test_the_deployer_may_create_everything_a_fresh_project_needs() -> None:
    """403s seen on a first apply: the rules release, the first log metric, the gateway's managed service."""
    assert "roles/firebaserules.admin" in _roles("deployer_roles")
    assert {"logging.logMetrics.create", "servicemanagement.services.bind"} <= _permissions("deployer_extra")
    assert {"firebaserules.releases.get", "firebaserules.rulesets.get"} <= _permissions("planner_extra")


def test_the_deployer_reaches_only_the_buckets_it_manages() -> None:
    roles = _roles("deployer_roles")
    assert not {role for role in roles if role.startswith("roles/storage.")}, "no project-wide storage role"
    buckets = _bootstrap()[("google_project_iam_member", "deployer_buckets")]
    assert _unquote(buckets["role"]) == "roles/storage.admin"
    assert "resource.name.startsWith(" in buckets["condition"][0]["expression"]
    assert "${local.managed_buckets}" in buckets["condition"][0]["expression"]
    prefix = _unquote(_bootstrap_locals()["managed_buckets"]).removeprefix("projects/_/buckets/")
    names = re.findall(
        r'name\s*=\s*"(\$\{var\.project_id\}[^"]*)"', "".join(p.read_text() for p in TERRAFORM.glob("*.tf"))
    )
    assert names and all(name.startswith(prefix) for name in names), names
    state = _bootstrap()[("google_storage_bucket_iam_member", "deployer_state")]
    assert state["bucket"] == "${local.state_bucket}" and _unquote(state["role"]) == "roles/storage.objectAdmin"


def test_the_deployer_holds_no_basic_role_and_grants_only_what_the_configuration_grants() -> None:
    roles = _roles("deployer_roles")
    assert not roles & {"roles/owner", "roles/editor", "roles/viewer", "roles/resourcemanager.projectIamAdmin"}
    assert not {role for role in roles if role.startswith(("roles/datastore.user", "roles/secretmanager."))}
    conditioned = _bootstrap()[("google_project_iam_member", "deployer_project_iam")]
    assert _unquote(conditioned["role"]) == "roles/resourcemanager.projectIamAdmin"
    assert "modifiedGrantsByRole" in conditioned["condition"][0]["expression"]
    granted_by_configuration = set()
    for path in TERRAFORM.glob("*.tf"):
        with path.open() as handle:
            for entry in hcl2.load(handle).get("resource", []):
                for name, body in entry.get('"google_project_iam_member"', {}).items():
                    role = _unquote(body["role"])
                    if role.startswith("${google_project_iam_custom_role."):
                        role = "projects/${var.project_id}/roles/bloomFirebaseAccounts"
                    granted_by_configuration.add(role)
                    # IAM limits which roles the deployer grants, not to whom: a role it may grant on the project
                    # must be one it already reaches through the function accounts it deploys as.
                    # A Cloud Run service's own account (cloud_run.tf) holds what its declarations call for, as a
                    # grant profile's does.
                    assert _unquote(body["member"]).startswith(
                        (
                            "serviceAccount:${google_service_account.grant_profile[",
                            "serviceAccount:${google_service_account.service[",
                        )
                    ), f"{name}: project-wide grants to other accounts are the bootstrap's"
    grantable = {_unquote(role) for role in _bootstrap_locals()["grantable_roles"]}
    assert grantable == granted_by_configuration
    assert not {role for role in grantable if role.startswith("roles/storage.")}, (
        "the deployer could grant a project-wide storage role to itself, past the buckets it manages"
    )


def test_the_build_accounts_project_wide_grants_are_made_by_the_bootstrap() -> None:
    """Reading gcf-v2-sources-* (provider issue 20571) needs a project grant, which the deployer may not make."""
    account = _bootstrap()[("google_service_account", "function_build")]
    with (TERRAFORM / "functions.tf").open() as handle:
        [data] = hcl2.load(handle)["data"]
    assert _unquote(data['"google_service_account"']['"build"']["account_id"]) == _unquote(account["account_id"])
    member = "serviceAccount:${google_service_account.function_build.email}"
    logs = _bootstrap()[("google_project_iam_member", "function_build_logs")]
    assert (_unquote(logs["role"]), _unquote(logs["member"]), "condition" in logs) == (
        "roles/logging.logWriter",
        member,
        False,
    )
    sources = _bootstrap()[("google_project_iam_member", "function_build_sources")]
    assert (_unquote(sources["role"]), _unquote(sources["member"])) == ("roles/storage.objectViewer", member)
    [condition] = sources["condition"]
    assert _unquote(condition["expression"]) == 'resource.name.startsWith(\\"projects/_/buckets/gcf-v2-sources-\\")'


def test_the_deployer_custom_role_reads_no_data() -> None:
    permissions = {
        _unquote(p) for p in _bootstrap()[("google_project_iam_custom_role", "deployer_extra")]["permissions"]
    }
    assert not {p for p in permissions if p.startswith(("datastore.entities.", "secretmanager.versions."))}


def test_the_ci_account_reads_configuration_never_data() -> None:
    roles = _roles("planner_roles")
    forbidden = (
        "roles/viewer",
        "roles/editor",
        "roles/owner",
        "roles/datastore.",
        "roles/secretmanager.secretAccessor",
    )
    assert not {role for role in roles if role.startswith(forbidden)}
    permissions = {
        _unquote(p) for p in _bootstrap()[("google_project_iam_custom_role", "planner_extra")]["permissions"]
    }
    assert permissions and not {
        p for p in permissions if p.startswith(("datastore.entities.", "storage.objects.", "logging.logEntries."))
    }
    source = _bootstrap()[("google_project_iam_member", "planner_source")]
    assert "-bloom-function-source/" in source["condition"][0]["expression"]


def test_the_first_deploy_sequence_names_things_that_exist() -> None:
    """docs/deploy.md's commands: the targeted resources, files and make targets they name are real."""
    readme = (ROOT / "docs" / "deploy.md").read_text()
    section = readme[readme.index("**First deploy on a fresh project**") :]
    targets = re.findall(r"-target=([a-z0-9_]+)\.([a-z0-9_]+)", section)
    # The database before the first full plan: the plan imports the rules release its creation makes.
    assert targets == [("google_firestore_database", "main"), ("google_secret_manager_secret", "secret")]
    declared = "\n".join(path.read_text() for path in TERRAFORM.glob("*.tf"))
    for rtype, name in targets:
        assert f'resource "{rtype}" "{name}"' in declared
    for line in section.splitlines():
        base = BOOTSTRAP if "-chdir=terraform/bootstrap" in line else TERRAFORM
        for path in re.findall(r"-var-file=(\S+)", line):
            assert (base / path.replace("$ENV", ENVIRONMENTS[0])).resolve().exists(), path
    makefile = (ROOT / "Makefile").read_text()
    for target in re.findall(r"^make ([a-z]+)", section, re.MULTILINE):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), f"make {target} is not a target"
    assert 'resource "google_firestore_database" "main"' in declared and "google_firestore_database.main" in section
