"""CI and CD apart: CI checks and plans every environment; CD applies exactly the plan CI saved, and installs nothing.

The Cloud Build files are read as YAML, the bootstrap Terraform (triggers, deployer and CI accounts) with hcl2.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]
CI = ROOT / "cloudbuild" / "ci.yaml"
CD = ROOT / "cloudbuild" / "cd.yaml"
TERRAFORM = ROOT / "terraform"
BOOTSTRAP = TERRAFORM / "bootstrap"
ENVIRONMENTS = sorted(path.stem for path in (TERRAFORM / "environments").glob("*.tfvars"))
INSTALLERS = re.compile(r"\b(apt-get|apt|pip|npm|npx|curl|wget|apk|yum)\b|providers mirror|get\.hashicorp")
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


@cache
def _bootstrap() -> dict[tuple[str, str], dict[str, Any]]:
    resources: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(BOOTSTRAP.glob("*.tf")):
        with path.open() as handle:
            document = hcl2.load(handle)
        for entry in document.get("resource", []):
            for rtype, named in entry.items():
                for name, body in named.items():
                    resources[(_unquote(rtype), _unquote(name))] = body
    return resources


@cache
def _bootstrap_locals() -> dict[str, Any]:
    with (BOOTSTRAP / "main.tf").open() as handle:
        [block] = hcl2.load(handle)["locals"]
    return dict(block)


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
        "terraform plan",
        "terraform show -no-color",
    ):
        assert command in text, f"CI does not run {command!r}"
    assert 'PATH="/workspace/.bin:$$PATH"' in scripts["test"], "the tests need terraform (terraform console)"


def test_ci_plans_every_environment_and_saves_what_cd_needs() -> None:
    assert sorted(_build(CI)["substitutions"]["_ENVIRONMENTS"].split()) == ENVIRONMENTS
    plan = _script(_steps(CI)["terraform-plan"])
    assert '-backend-config="environments/$$env.gcs.tfbackend"' in plan
    assert '-var-file="environments/$$env.tfvars"' in plan
    assert "-lock=false" in plan, "the CI account reads the state, never writes it"
    for saved in ("tfplan", "plan.txt", "terraform.lock.hcl", "providers", "bundle.zip"):
        assert f'"$$out/{saved}"' in plan, f"CI does not save {saved}"
    assert "gs://${_ARTIFACTS_BUCKET}/${COMMIT_SHA}/" in _script(_steps(CI)["save-plans"])


# --- CD ---------------------------------------------------------------------------------------------------------


def test_cd_applies_exactly_the_reviewed_plan() -> None:
    steps = _steps(CD)
    fetch = _script(steps["fetch-reviewed-plan"])
    assert 'gs://${_ARTIFACTS_BUCKET}/${COMMIT_SHA}/${_ENV}"' in fetch
    init = _script(steps["terraform-init"])
    assert "-lockfile=readonly" in init and "-plugin-dir=/workspace/reviewed/providers" in init
    assert "-backend-config=environments/${_ENV}.gcs.tfbackend" in init
    assert steps["terraform-apply"]["args"] == [
        "apply",
        "-input=false",
        "-lock-timeout=5m",
        "/workspace/reviewed/tfplan",
    ]
    replanning = [
        step_id
        for step_id, step in steps.items()
        if "terraform plan" in _script(step)
        or step.get("args", [None])[0] == "plan"
        or "-auto-approve" in _script(step)
    ]
    assert not replanning, f"CD must apply CI's saved plan, not make its own: {replanning}"


def test_cd_installs_nothing() -> None:
    for step_id, step in _steps(CD).items():
        assert not INSTALLERS.search(_script(step)), f"CD step {step_id} downloads or installs software"


@pytest.mark.parametrize("path", [CI, CD], ids=lambda path: path.name)
def test_every_image_is_pinned_to_a_version(path: Path) -> None:
    for step_id, step in _steps(path).items():
        assert PINNED_IMAGE.match(step["name"]), f"{path.name} {step_id}: pin {step['name']} to a version"


def test_ci_and_cd_use_the_same_tools() -> None:
    def images(path: Path) -> dict[str, str]:
        return {step["name"].split(":")[0]: step["name"] for step in _build(path)["steps"]}

    ci, cd = images(CI), images(CD)
    assert {name: cd[name] for name in cd} == {name: ci[name] for name in cd}


def test_the_state_bucket_and_region_are_written_once_per_environment() -> None:
    """Only environments/<env>.gcs.tfbackend names the state bucket and only <env>.tfvars the region."""
    for path in (CI, CD):
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


def test_cd_triggers_wait_for_an_approver_and_run_as_the_deployer() -> None:
    cd = _bootstrap()[("google_cloudbuild_trigger", "cd")]
    assert [config["approval_required"] for config in cd["approval_config"]] == [True]
    assert _unquote(cd["filename"]) == "cloudbuild/cd.yaml"
    assert cd["service_account"] == "${google_service_account.deployer.id}"
    assert cd["substitutions"]["_ENV"] == "${var.environment}"
    ci = _bootstrap()[("google_cloudbuild_trigger", "ci")]
    assert _unquote(ci["filename"]) == "cloudbuild/ci.yaml"
    assert ci["service_account"] == "${google_service_account.ci[0].id}"
    assert "approval_config" not in ci


def _roles(local_name: str) -> set[str]:
    return set(re.findall(r'"((?:roles/|projects/)[^"]+)"', json.dumps(_bootstrap_locals()[local_name])))


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
                for body in entry.get('"google_project_iam_member"', {}).values():
                    role = _unquote(body["role"])
                    if role.startswith("${google_project_iam_custom_role."):
                        role = "projects/${var.project_id}/roles/bloomFirebaseAccounts"
                    granted_by_configuration.add(role)
    assert {_unquote(role) for role in _bootstrap_locals()["grantable_roles"]} == granted_by_configuration


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
    assert targets == [("google_secret_manager_secret", "secret")]
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
