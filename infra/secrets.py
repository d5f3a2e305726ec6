"""Secret values: typed by an operator at their terminal and handed to `gcloud secrets versions add` on stdin.

Terraform creates the secrets (containers only, `terraform/secrets.tf`) and never sees a value. A deployed
function reads the version of each secret it declares that the environment's tfvars pin (`secret_versions`), and
Cloud Run refuses to start one whose secret has no version, so before the first full deploy every secret needs a
value and a pin (docs/deploy.md). `make secrets ENV=...`
asks for those that have none; naming secrets asks for those (a rotation). A value never appears on a command line,
in a file or in a log line: it goes from the prompt (no echo) to gcloud's standard input.
"""

from __future__ import annotations

import getpass
import json
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

import hcl2

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ROOT / "terraform" / "environments"
MANIFEST = ROOT / "terraform" / "functions.json"
GCLOUD_TIMEOUT_S = 120


def project_of(environment: str) -> str:
    """The GCP project of an environment, from its tfvars (the one place it is written)."""
    path = ENVIRONMENTS / f"{environment}.tfvars"
    if not path.exists():
        known = sorted(p.stem for p in ENVIRONMENTS.glob("*.tfvars"))
        raise ValueError(f"no environment {environment!r}; known: {', '.join(known)}")
    with path.open() as handle:
        project = hcl2.load(handle).get("project_id")
    if not isinstance(project, str) or not project.strip('"'):
        raise ValueError(f"{path} sets no project_id")
    return project.strip('"')


def declared_secrets() -> dict[str, list[str]]:
    """Every secret of the manifest, with the functions that read it."""
    manifest = json.loads(MANIFEST.read_text())
    users: dict[str, list[str]] = {name: [] for name in manifest["secrets"]}
    for function in manifest["functions"]:
        for secret in function["secrets"]:
            users[secret].append(function["name"])
    return users


def _gcloud(arguments: list[str], value: str | None = None) -> str:
    result = subprocess.run(  # noqa: S603 - fixed argv; the value only ever goes to stdin
        ["gcloud", *arguments],  # noqa: S607 - the operator's own gcloud, found on PATH
        input=value,
        capture_output=True,
        text=True,
        timeout=GCLOUD_TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"gcloud {' '.join(arguments[:3])} failed: {result.stderr.strip()[-500:]}")
    return result.stdout


def has_value(project: str, secret: str) -> bool:
    """Whether the secret has an enabled version (what `latest` resolves to)."""
    listed = _gcloud(
        [
            "secrets",
            "versions",
            "list",
            secret,
            f"--project={project}",
            "--filter=state:ENABLED",
            "--limit=1",
            "--format=value(name)",
        ]
    )
    return bool(listed.strip())


def add_value(project: str, secret: str, value: str) -> None:
    _gcloud(["secrets", "versions", "add", secret, f"--project={project}", "--data-file=-"], value)


def set_secrets(
    project: str,
    names: Iterable[str] = (),
    read: Callable[[str], str] = getpass.getpass,
    say: Callable[[str], None] = print,
) -> list[str]:
    """Ask for `names`, or for every declared secret without a value; returns the secrets given a new value.

    An empty answer leaves the secret as it is (and, without a value, the functions reading it cannot deploy).
    """
    declared = declared_secrets()
    unknown = sorted(set(names) - set(declared))
    if unknown:
        raise ValueError(f"not declared by any function: {', '.join(unknown)}; declared: {', '.join(declared)}")
    wanted = list(names) or [name for name in declared if not has_value(project, name)]
    if not wanted:
        say(f"Every secret of {project} has a value. Name one to set a new value (a rotation).")
    changed: list[str] = []
    for name in wanted:
        value = read(f"{name} (read by {', '.join(declared[name])}; empty to skip): ")
        if not value.strip():
            say(f"  {name}: skipped")
            continue
        add_value(project, name, value.strip())
        changed.append(name)
        say(f"  {name}: new version added")
    return changed
