"""The Cloud Run services' image: its Dockerfile (infra/service.Dockerfile) and the digests the plans pin
(infra/service_images.py; Terraform's own refusal of a tag is in tests/unit/test_terraform.py)."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
import yaml  # type: ignore[import-untyped]

from infra.bundle import ROOT, SERVICE_DOCKERFILE
from infra.service_images import ServiceImage, pinned

DOCKERFILE = ROOT / SERVICE_DOCKERFILE
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
CHECKOV_ARGS = ("--quiet", "--compact", "-o", "json", "--skip-download")  # offline, as tests/unit/test_terraform.py
REPOSITORY = "europe-west2-docker.pkg.dev/ci-project/bloom-services"
DIGEST = "sha256:" + "ab" * 32


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments left out."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(maxsplit=1)[0].upper(), line.split(maxsplit=1)[1]) for line in lines]


def _step_pythons() -> set[str]:
    """The Python version of every Python build step (CI, plans)."""
    versions = set()
    for path in (ROOT / "cloudbuild.yaml", ROOT / "cloudbuild" / "plan.yaml"):
        for step in yaml.safe_load(path.read_text())["steps"]:
            if step["name"].startswith("python:"):
                versions.add(step["name"].split(":")[1].split("-")[0])
    return versions


def test_the_image_runs_the_python_of_every_build_step_slim_and_pinned() -> None:
    [base] = [arguments for instruction, arguments in _instructions() if instruction == "FROM"]
    match = re.fullmatch(r"python:(\d+\.\d+\.\d+)-slim-bookworm", base)
    assert match, f"pin the base to an exact slim Python: {base}"
    assert _step_pythons() == {match.group(1)}, "the image and the build steps run one Python"


def test_the_image_installs_the_runtime_requirements_only_and_runs_unprivileged() -> None:
    instructions = _instructions()
    runs = " && ".join(arguments for instruction, arguments in instructions if instruction == "RUN")
    assert re.findall(r"pip install [^&]*", runs) == ["pip install --no-cache-dir -r requirements.txt "]
    assert "requirements-dev" not in DOCKERFILE.read_text()
    [user] = [arguments for instruction, arguments in instructions if instruction == "USER"]
    assert instructions[-1] == ("USER", user) and user not in {"0", "root"}, "the last word is a non-root user"
    assert not {"CMD", "ENTRYPOINT"} & {instruction for instruction, _ in instructions}, (
        "Terraform sets the command from the manifest (terraform/cloud_run.tf)"
    )
    assert not {"ARG", "ADD"} & {instruction for instruction, _ in instructions}, "no build arguments, no fetching"


def test_bloom_and_the_functions_package_import_from_the_bundle_root() -> None:
    """The bundle holds `bloom/` and `functions/` at its root, where WORKDIR puts it and PYTHONPATH points."""
    instructions = _instructions()
    [workdir] = [arguments for instruction, arguments in instructions if instruction == "WORKDIR"]
    env = " ".join(arguments for instruction, arguments in instructions if instruction == "ENV")
    assert f"PYTHONPATH={workdir}" in env.split()
    assert ("COPY", ". ./") in instructions, "the context (the unpacked bundle) goes to the working directory"


def test_the_dockerfile_passes_checkov() -> None:
    if not CHECKOV.exists():
        pytest.fail(f"checkov is not installed at {CHECKOV}")
    result = subprocess.run(
        [str(CHECKOV), "-f", str(DOCKERFILE), "--framework", "dockerfile", *CHECKOV_ARGS],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(result.stdout)
    assert report["summary"]["failed"] == 0, result.stdout[-3000:]


# --- the plans' var-file -----------------------------------------------------------------------------------------

IMAGES = [
    ServiceImage("livechat_socket", f"{REPOSITORY}/livechat-socket", "1" * 64),
    ServiceImage("other", f"{REPOSITORY}/other", "2" * 64),
]


def test_each_service_is_pinned_by_digest_to_its_own_image() -> None:
    digests = f"livechat_socket {REPOSITORY}/livechat-socket@{DIGEST}\nother {REPOSITORY}/other@{DIGEST}\n"
    assert pinned(IMAGES, digests) == {
        "livechat_socket": f"{REPOSITORY}/livechat-socket@{DIGEST}",
        "other": f"{REPOSITORY}/other@{DIGEST}",
    }


@pytest.mark.parametrize(
    "digests",
    [
        f"livechat_socket {REPOSITORY}/livechat-socket@{DIGEST}\n",  # a service without an image
        f"livechat_socket {REPOSITORY}/livechat-socket:{'1' * 64}\nother {REPOSITORY}/other@{DIGEST}\n",  # a tag
        f"livechat_socket {REPOSITORY}/other@{DIGEST}\nother {REPOSITORY}/other@{DIGEST}\n",  # another's image
        f"livechat_socket elsewhere.example/livechat-socket@{DIGEST}\nother {REPOSITORY}/other@{DIGEST}\n",
        f"livechat_socket {REPOSITORY}/livechat-socket@{DIGEST}\n" * 2 + f"other {REPOSITORY}/other@{DIGEST}\n",
        f"livechat_socket {REPOSITORY}/livechat-socket@{DIGEST}\nother {REPOSITORY}/other@{DIGEST}\nghost x@{DIGEST}",
    ],
    ids=["missing", "tag", "another-service", "another-repository", "twice", "unknown-service"],
)
def test_anything_but_one_digest_per_service_is_refused(digests: str) -> None:
    with pytest.raises(ValueError):
        pinned(IMAGES, digests)
