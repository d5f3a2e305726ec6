"""Reading terraform/ in tests: its blocks parsed (python-hcl2), its locals evaluated by `terraform console`
(offline), and the grant profiles of the manifest it is driven by. For `tests/unit/test_terraform.py` and the
other Terraform checks (dashboards, the records KEK)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest

from infra.manifest import MANIFEST_PATH

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"
TF_FILES = sorted(TERRAFORM.glob("*.tf"))
BOOTSTRAP = TERRAFORM / "bootstrap"
# Terraform evaluates the locals of the files holding only locals and variables offline (`terraform console` needs no
# provider for them).
TERRAFORM_BIN = shutil.which("terraform") or str(ROOT / ".bin" / "terraform")
LOCALS_ONLY = ("manifest.tf", "monitoring_dashboards.tf", "api_origin.tf", "variables.tf", "functions.json")
TEST_VARS = {
    "project_id": "bloom-test",
    "environment": "staging",
    "frontend_origins": '["https://example.org"]',
    "webauthn_rp_id": "example.org",
}


def unquote(label: str) -> str:
    """A block label or value without the quotes python-hcl2 keeps."""
    return label[1:-1] if len(label) >= 2 and label[0] == label[-1] == '"' else label


def _without_comments(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_comments(item) for key, item in value.items() if key != "__comments__"}
    if isinstance(value, list):
        return [_without_comments(item) for item in value]
    return value


@cache
def parsed() -> dict[Path, dict[str, Any]]:
    """Every terraform/*.tf file's blocks, without comments."""
    documents: dict[Path, dict[str, Any]] = {}
    for path in TF_FILES:
        with path.open() as handle:
            documents[path] = _without_comments(hcl2.load(handle))
    return documents


def resources() -> list[tuple[str, str, dict[str, Any]]]:
    """(type, name, body) of every resource block in terraform/*.tf."""
    blocks: list[tuple[str, str, dict[str, Any]]] = []
    for document in parsed().values():
        for entry in document.get("resource", []):
            for rtype, named in entry.items():
                for name, body in named.items():
                    blocks.append((unquote(rtype), unquote(name), body))
    return blocks


def manifest() -> dict[str, Any]:
    """terraform/functions.json, which Terraform is driven by."""
    loaded: dict[str, Any] = json.loads(MANIFEST_PATH.read_text())
    return loaded


def resource(rtype: str, name: str) -> dict[str, Any]:
    found = [body for kind, label, body in resources() if (kind, label) == (rtype, name)]
    assert len(found) == 1, f"expected one {rtype}.{name}, found {len(found)}"
    return found[0]


def evaluate(expressions: dict[str, str], variables: dict[str, str] | None = None) -> dict[str, Any]:
    """Evaluate expressions over the locals-only files' locals with Terraform itself, offline; `variables` adds to
    (or overrides) TEST_VARS."""
    merged = tuple(sorted({**TEST_VARS, **(variables or {})}.items()))
    return dict(json.loads(_console(tuple(sorted(expressions.items())), merged)))


def console_result(expressions: dict[str, str], variables: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `terraform console` over the locals-only files with exactly `variables`, for a result that may be an
    error (a variable's validation)."""
    if not Path(TERRAFORM_BIN).exists():
        pytest.fail(f"terraform is not installed (looked on PATH and at {TERRAFORM_BIN})")
    with tempfile.TemporaryDirectory() as work:
        for name in LOCALS_ONLY:
            shutil.copy2(TERRAFORM / name, Path(work) / name)
        document = ", ".join(f'"{key}" = {expression}' for key, expression in sorted(expressions.items()))
        return subprocess.run(
            [TERRAFORM_BIN, "console", *(f"-var={name}={value}" for name, value in variables.items())],
            input=f"jsonencode({{{document}}})\n",
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=work,
            env={**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "NO_COLOR": "1"},
        )


@cache
def _console(expressions: tuple[tuple[str, str], ...], variables: tuple[tuple[str, str], ...]) -> str:
    result = console_result(dict(expressions), dict(variables))
    assert result.returncode == 0, result.stderr[-2000:]
    # The console prints the JSON as an HCL string literal; it escapes like JSON, plus "${" and "%{".
    text: str = json.loads(result.stdout.strip().splitlines()[-1])
    return text.replace("$${", "${").replace("%%{", "%{")


def locals_text() -> dict[str, str]:
    """Every local's expression in terraform/*.tf, as text."""
    found: dict[str, str] = {}
    for document in parsed().values():
        for block in document.get("locals", []):
            for name, expression in block.items():
                if name != "__is_block__":
                    assert name not in found, f"local.{name} is defined twice"
                    found[name] = json.dumps(expression) if not isinstance(expression, str) else expression
    return found


@cache
def bootstrap_resources() -> dict[tuple[str, str], dict[str, Any]]:
    """(type, name) -> body of every resource in terraform/bootstrap."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(BOOTSTRAP.glob("*.tf")):
        with path.open() as handle:
            document = hcl2.load(handle)
        for entry in document.get("resource", []):
            for rtype, named in entry.items():
                for name, body in named.items():
                    found[(unquote(rtype), unquote(name))] = body
    return found


@cache
def bootstrap_locals() -> dict[str, Any]:
    with (BOOTSTRAP / "main.tf").open() as handle:
        [block] = hcl2.load(handle)["locals"]
    return dict(block)


def bootstrap_roles(local_name: str) -> set[str]:
    """The roles a bootstrap local lists (deployer_roles, planner_roles, ...)."""
    found = re.findall(r'"((?:roles/|projects/)[^"]+)"', json.dumps(bootstrap_locals()[local_name]))
    return {role.rstrip("\\") for role in found}


def bootstrap_permissions(role: str) -> set[str]:
    """The permissions of one of the bootstrap's custom roles."""
    return {unquote(p) for p in bootstrap_resources()[("google_project_iam_custom_role", role)]["permissions"]}


def function_member(body: dict[str, Any]) -> bool:
    """Whether a grant's member is one of the functions' (grant profiles') service accounts."""
    return "google_service_account.grant_profile[" in unquote(str(body.get("member", "")))


def profiles_of(declares: Any) -> set[str]:
    """The grant profiles whose functions `declares(fn)`; a profile's functions all agree (or it would leak)."""
    profiles: dict[str, set[bool]] = {}
    for fn in manifest()["functions"]:
        profiles.setdefault(fn["grant_profile"], set()).add(bool(declares(fn)))
    assert all(len(answers) == 1 for answers in profiles.values()), "a profile mixes declaring and other functions"
    return {profile for profile, answers in profiles.items() if answers == {True}}
