"""The layout's rules, checked: import contracts (and that they fail when broken), module size, one error catalogue."""

from __future__ import annotations

import ast
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
        # a service (or a service module named otherwise) writing Firestore sentinels itself
        ("partners/service.py", "from google.cloud.firestore import ArrayUnion  # noqa"),
        ("partners/therapy_charges.py", "def later() -> None:\n    from google.cloud import firestore  # noqa"),
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


QUERY_BUILDING = {"find_one", "where_in", "delete_where", "_update_stored", "update_entries", "put_entry"}
TAKES_FIELD_NAMES = {"change", "change_each", "delete_matching", "select", "search", "update_access"}
STORED_NAME = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]*)+$")  # camelCase: how fields are stored, never how models name them


def storage_leaks(source: str) -> list[tuple[int, str]]:
    """Where area code outside repositories builds queries or raw updates, or names a field as it is stored."""
    leaks: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if (name == "Filter" and node.args) or name in QUERY_BUILDING:
            leaks.append((node.lineno, f"{name}(…) belongs in a named repository method"))
        elif name in TAKES_FIELD_NAMES:
            arguments = [*node.args, *(keyword.value for keyword in node.keywords)]
            leaks.extend(
                (constant.lineno, f"{constant.value!r}: a stored name, where the model's field name goes")
                for argument in arguments
                for constant in ast.walk(argument)
                if isinstance(constant, ast.Constant)
                and isinstance(constant.value, str)
                and STORED_NAME.match(constant.value)
            )
    return leaks


def test_services_name_fields_as_models_do_and_leave_queries_to_repositories() -> None:
    """Only repositories know stored (camelCase) names, Firestore sentinels and queries: services change documents
    with `change(…)`/`change_each(…)` and the model's field names, and ask named repository methods."""
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {problem}"
        for area in areas()
        for path in sorted((BLOOM / area).glob("*.py"))
        if path.name != "repository.py"
        for line, problem in storage_leaks(path.read_text())
    ]
    assert offenders == []


def test_the_storage_leak_check_sees_each_kind_of_leak() -> None:
    leaky = """
uow.users.change(uid, **{"partnerAdmin": None})
uow.accesses.search({"partnerId": "p"}, 10)
uow.users.find_one("email", email)
uow.users.select([Filter("userId", "==", uid)])
uow.users._update_stored(uid, {"name": "x"})
"""
    assert sorted(line for line, _ in storage_leaks(leaky)) == [2, 3, 4, 5, 5, 6]
    assert storage_leaks('uow.users.change(uid, partner_admin=None)\nlog.info("x", extra={"uploadId": 1})') == []


# A listener on live chat's own times (no caller's text): its owners may move it to `Repository.query`.
FILTERS_BUILT_ELSEWHERE = {"livechat"}


def test_repositories_filter_through_the_query_helper() -> None:
    """Every filtered query starts at `Repository.query`, which finds nothing for text Firestore refuses to query
    (an InvalidArgument, a 500) instead of asking: a repository never calls `.where(…)` itself."""
    offenders = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for area in areas()
        if area not in FILTERS_BUILT_ELSEWHERE
        for path in sorted((BLOOM / area).glob("repository*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "where"
    ]
    assert offenders == []


TESTS = ROOT / "tests"


def imported_test_modules(source: str) -> list[tuple[int, str]]:
    """Where a module imports a test module (`tests.….test_*`): shared fixtures and helpers belong in
    `tests/support/`, so that each test module runs, moves and fails on its own."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found.extend(
            (node.lineno, name)
            for name in names
            if name.startswith("tests.") and name.split(".")[-1].startswith("test_")
        )
    return found


def test_test_modules_never_import_each_other() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in sorted(TESTS.rglob("test_*.py"))
        for line, name in imported_test_modules(path.read_text())
    ]
    assert offenders == []


def test_the_test_import_check_sees_each_form() -> None:
    source = """
from tests.e2e.test_practice_roles import world
import tests.integration.test_auth
from tests.e2e import test_claims
def later() -> None:
    from tests.unit.test_terraform import _resource
from tests.support.role_matrix import practice_world
import tests.support.accounts
"""
    assert [line for line, _ in imported_test_modules(source)] == [2, 3, 4, 6]


def test_every_module_using_an_area_store_is_under_the_no_google_sdk_contract() -> None:
    """A use-case module named otherwise than `service` (one that opens its area's unit of work) must be listed in
    the services-without-firestore contract, or the contract would not see it."""
    section = contracts()["importlinter:contract:services-without-firestore"]
    listed = set(section["source_modules"].split())
    unlisted = [
        f"bloom.{area}.{path.stem}"
        for area in areas()
        for path in sorted((BLOOM / area).glob("*.py"))
        if path.stem not in ("service", "models", "schemas", "repository", "__init__")
        and re.search(rf"from bloom\.{area}(\.repository import| import repository)", path.read_text())
        and f"bloom.{area}.{path.stem}" not in listed
    ]
    assert {"bloom.*.service", "bloom.*.models", "bloom.*.schemas"} <= listed
    assert unlisted == []
