"""`make secrets`: values go from the prompt to gcloud's standard input, never onto a command line or into a file.

gcloud is a stand-in script on PATH that records its arguments and standard input, and answers `versions list`
as if the secrets named in FAKE_GCLOUD_HAS_VALUE had a version.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from infra.secrets import ROOT, declared_secrets, project_of, set_secrets

FAKE_GCLOUD = """#!/usr/bin/env python3
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_GCLOUD_LOG"], "a") as log:
    log.write(json.dumps({"args": args, "stdin": sys.stdin.read()}) + "\\n")
if args[:3] == ["secrets", "versions", "list"] and args[3] in os.environ.get("FAKE_GCLOUD_HAS_VALUE", "").split():
    print("projects/p/secrets/" + args[3] + "/versions/1")
"""


@pytest.fixture
def gcloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    binary = tmp_path / "bin" / "gcloud"
    binary.parent.mkdir()
    binary.write_text(FAKE_GCLOUD)
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "gcloud.log"
    monkeypatch.setenv("PATH", f"{binary.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_GCLOUD_LOG", str(log))
    return log


def _calls(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def _repository_files() -> set[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--others", "--modified", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(listed.stdout.splitlines())


def test_the_project_comes_from_the_environments_tfvars() -> None:
    assert project_of("staging") == "bloom-backend-staging"
    assert project_of("production") == "bloom-backend-production"
    with pytest.raises(ValueError, match="no environment 'prod'"):
        project_of("prod")


def test_only_secrets_without_a_value_are_asked_and_values_go_to_stdin(
    gcloud: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    declared = list(declared_secrets())
    assert len(declared) >= 2
    has_value, *missing = declared
    monkeypatch.setenv("FAKE_GCLOUD_HAS_VALUE", has_value)
    asked: list[str] = []
    answers = {name: f"value-of-{name}\n" for name in missing}
    answers[missing[-1]] = "  "  # skipped
    before = _repository_files()

    def read(prompt: str) -> str:
        name = prompt.split(" ", 1)[0]
        asked.append(name)
        return answers[name]

    changed = set_secrets("bloom-test", read=read, say=lambda _: None)

    assert asked == missing and changed == missing[:-1]
    adds = [call for call in _calls(gcloud) if call["args"][:3] == ["secrets", "versions", "add"]]
    assert [call["args"] for call in adds] == [
        ["secrets", "versions", "add", name, "--project=bloom-test", "--data-file=-"] for name in changed
    ]
    assert [call["stdin"] for call in adds] == [f"value-of-{name}" for name in changed]
    assert all("value-of" not in " ".join(call["args"]) for call in _calls(gcloud))
    assert _repository_files() == before


def test_named_secrets_are_asked_even_with_a_value_and_unknown_ones_refused(gcloud: Path) -> None:
    name = next(iter(declared_secrets()))
    assert set_secrets("bloom-test", [name], read=lambda _: "rotated", say=lambda _: None) == [name]
    assert [call["stdin"] for call in _calls(gcloud)] == ["rotated"]
    with pytest.raises(ValueError, match="not declared by any function: NOPE"):
        set_secrets("bloom-test", ["NOPE"], read=lambda _: "x", say=lambda _: None)
