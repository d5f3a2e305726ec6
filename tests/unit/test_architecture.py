"""The layout's rules, checked: import contracts (and that they fail when broken), module size, one error catalogue."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra.stack_runner import ROOT

BLOOM = ROOT / "shared" / "bloom"
CONTRACTS = ROOT / ".importlinter"
FOUNDATIONS = {"core", "platform"}
MAX_MODULE_LINES = 500


def areas() -> list[str]:
    return sorted(p.name for p in BLOOM.iterdir() if (p / "__init__.py").exists() and p.name not in FOUNDATIONS)


def contracts() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(CONTRACTS)
    return parser


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name("lint-imports")), "--config", str(tree / ".importlinter")]
    env = {"PYTHONPATH": f"{tree / 'shared'}:{tree}", "PATH": "/usr/bin:/bin"}
    return subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_every_area_is_in_the_layers_and_keeps_its_storage_private() -> None:
    parser = contracts()
    layered = set(re.findall(r"bloom\.(\w+)", parser["importlinter:contract:layers"]["layers"]))
    assert set(areas()) <= layered, "add the new area to the layers contract in .importlinter"
    for area in areas():
        private = [name for name in ("repository", "models") if (BLOOM / area / f"{name}.py").exists()]
        if not private:
            continue
        section = parser[f"importlinter:contract:{area}-private"]
        assert section["type"] == "protected"
        assert {f"bloom.{area}.{name}" for name in private} <= set(section["protected_modules"].split())
        assert section["allowed_importers"].split() == [f"bloom.{area}"]


@pytest.mark.parametrize(
    ("module", "line"),
    [
        # an area reaching into another area's storage
        ("content/service.py", "from bloom.partners.repository import PartnersWork  # noqa"),
        # the platform depending on an area
        ("platform/http.py", "from bloom.users.schemas import Caller  # noqa"),
    ],
)
def test_the_contracts_fail_when_broken(tmp_path: Path, module: str, line: str) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "shared", tree / "shared", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "functions", tree / "functions", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(CONTRACTS, tree / ".importlinter")
    assert lint_imports(tree).returncode == 0
    target = tree / "shared" / "bloom" / module
    target.write_text(target.read_text() + f"\n{line}\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout


def test_no_module_is_over_500_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in [*BLOOM.rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_http_errors_come_from_catalogues() -> None:
    """Services raise declared errors (`SPEC.error()`), never a typed error built from a literal message."""
    literal = re.compile(r"raise (NotFound|Conflict|Forbidden|Unauthorized|BadRequest)\(\s*[\"A-Z]")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in [*BLOOM.rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
        for number, text in enumerate(path.read_text().splitlines(), 1)
        if literal.search(text) and "core/errors.py" not in str(path)
    ]
    assert offenders == []


def test_services_get_repositories_from_their_unit_of_work() -> None:
    """Areas never build a repository ad hoc: outside `repository.py`, repositories come from a unit of work."""
    built = re.compile(r"\b\w+Repository\(")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for area in areas()
        for path in (BLOOM / area).glob("*.py")
        if path.name != "repository.py"
        for number, text in enumerate(path.read_text().splitlines(), 1)
        if built.search(text)
    ]
    assert offenders == []
