"""The deploy bundle: reproducible byte for byte, and every function loads from it alone.

Loading runs the way Cloud Functions does it: a fresh interpreter in the unzipped bundle, with a minimal
environment (nothing of this repository on the path), asking functions-framework for the target from
`main.py`. It also checks that importing a function loads no heavy SDK the function did not declare.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from bloom.platform.registry import Sdk, registered_services
from infra.bundle import (
    CLOSURES_NAME,
    ROOT,
    SERVICE_DOCKERFILE,
    Closures,
    build_bundle,
    closure_hashes,
    service_closure_hashes,
)
from infra.manifest import load_everything, render_manifest
from tests.support.bundle import bundle_python

FUNCTION_NAMES = sorted(load_everything())
SERVICES = registered_services()

# `requests` is left out: the Google SDKs and functions-framework themselves depend on it.
WATCHED_SDKS = tuple(sdk.value for sdk in Sdk if sdk is not Sdk.REQUESTS)

# Run in the bundle directory: create the app, then report what got imported and from where.
LOAD = """
import json, sys
from functions_framework import create_app
app = create_app(target=sys.argv[1], source="main.py")
print("OK")
watched = json.loads(sys.argv[2])
modules = {name: getattr(sys.modules.get(name), "__file__", None) for name in ("bloom", "functions", "main")}
print(json.dumps({"loaded": [m for m in watched if m in sys.modules], "files": modules}))
"""


def clean_env() -> dict[str, str]:
    """What a deployed function has, and nothing that points at this repository."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "GOOGLE_CLOUD_PROJECT": "demo-bloom",
        "PYTHONDONTWRITEBYTECODE": "1",  # leave the shared bundle directory as unzipped
    }


def run_in(directory: Path, command: list[str]) -> subprocess.CompletedProcess[str]:
    """`command` run in `directory` with what a deployed function has (`clean_env`)."""
    return subprocess.run(
        command, cwd=directory, env=clean_env(), capture_output=True, text=True, timeout=120, check=False
    )


def load(directory: Path, target: str) -> dict[str, Any]:
    result = run_in(directory, [sys.executable, "-c", LOAD, target, json.dumps(WATCHED_SDKS)])
    assert result.returncode == 0, f"{target} did not load from the bundle:\n{result.stderr}"
    ok, report = result.stdout.splitlines()[-2:]
    assert ok == "OK"
    loaded: dict[str, Any] = json.loads(report)
    return loaded


def undeclared_sdks(report: dict[str, Any], function: dict[str, Any], framework_sdks: set[str]) -> list[str]:
    """Watched SDKs loaded by importing a function that neither it declares nor functions-framework loads."""
    return sorted(set(report["loaded"]) - set(function["sdks"]) - framework_sdks)


def copy_source(destination: Path) -> Path:
    """The parts of the repository a bundle is built from, copied so tests can change them freely."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules")
    for part in ("functions", "shared"):
        shutil.copytree(ROOT / part, destination / part, ignore=ignore)
    (destination / "infra").mkdir()
    for module in (ROOT / "infra").glob("*.py"):
        shutil.copy2(module, destination / "infra" / module.name)
    shutil.copy2(ROOT / SERVICE_DOCKERFILE, destination / SERVICE_DOCKERFILE)
    shutil.copy2(ROOT / "requirements.txt", destination / "requirements.txt")
    return destination


@pytest.fixture(scope="module")
def bundle_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "bundle.zip"
    build_bundle(out)
    return out


@pytest.fixture(scope="module")
def bundle_dir(bundle_zip: Path) -> Path:
    directory = bundle_zip.parent / "unzipped"
    with zipfile.ZipFile(bundle_zip) as archive:
        archive.extractall(directory)
    return directory


@pytest.fixture(scope="module")
def bundle_manifest(bundle_dir: Path) -> dict[str, dict[str, Any]]:
    manifest = json.loads((bundle_dir / "functions.json").read_text())
    return {fn["name"]: fn for fn in manifest["functions"]}


@pytest.fixture(scope="module")
def framework_sdks(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Watched SDKs that functions-framework loads by itself, for a function that imports nothing."""
    directory = tmp_path_factory.mktemp("framework-only")
    (directory / "main.py").write_text('def noop(request):\n    return "ok"\n')
    return set(load(directory, "noop")["loaded"])


# --- determinism -------------------------------------------------------------------------------------------


def test_same_source_gives_the_same_bytes(tmp_path: Path) -> None:
    source = copy_source(tmp_path / "src")
    first, second = tmp_path / "a" / "bundle.zip", tmp_path / "b.zip"

    digest = build_bundle(first, source)

    assert build_bundle(second, source) == digest
    assert first.read_bytes() == second.read_bytes()


def test_only_content_changes_the_hash(tmp_path: Path) -> None:
    source = copy_source(tmp_path / "src")
    out = tmp_path / "bundle.zip"
    digest = build_bundle(out, source)
    settings = source / "shared" / "bloom" / "core" / "settings.py"

    os.utime(settings, (1_000_000_000, 1_000_000_000))
    os.utime(source / "functions" / "main.py", None)
    settings.chmod(0o600)
    (source / "shared" / "bloom" / "__pycache__").mkdir(exist_ok=True)
    (source / "shared" / "bloom" / "__pycache__" / "settings.cpython-311.pyc").write_bytes(b"junk")
    assert build_bundle(out, source) == digest

    settings.write_text(settings.read_text() + "\n# changed\n")
    assert build_bundle(out, source) != digest


def add_probe_function(source: Path, first_line: str = "") -> None:
    """A new HTTP function `zz_bundle_probe` in the copied source, declaring no SDK."""
    (source / "functions" / "zz_bundle_probe.py").write_text(
        f"{first_line}\n"
        "from bloom.platform.registry import Role\n"
        "from bloom.api import http_function\n\n\n"
        '@http_function("GET", "/api/zz-bundle-probe", role=Role.PUBLIC, response=str, summary="probe")\n'
        "def zz_bundle_probe(_: object) -> str:\n"
        '    return "ok"\n'
    )


def test_a_new_function_module_changes_the_bundle_and_its_manifest(tmp_path: Path) -> None:
    source = copy_source(tmp_path / "src")
    out = tmp_path / "bundle.zip"
    digest = build_bundle(out, source)
    add_probe_function(source)

    assert build_bundle(out, source) != digest
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("functions.json"))
        assert "functions/zz_bundle_probe.py" in archive.namelist()
    assert "zz_bundle_probe" in {fn["name"] for fn in manifest["functions"]}


def test_entries_are_normalised(bundle_zip: Path) -> None:
    with zipfile.ZipFile(bundle_zip) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]

    assert names == sorted(names)
    assert {"main.py", "requirements.txt", "functions.json", "functions/__init__.py", "bloom/__init__.py"} <= set(names)
    assert all(name.endswith(".py") for name in names if name not in {"requirements.txt", "functions.json"})
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0), info.filename
        assert info.external_attr >> 16 == 0o100644, info.filename
        assert info.compress_type == zipfile.ZIP_DEFLATED, info.filename


def test_contents_match_the_source(bundle_dir: Path) -> None:
    assert (bundle_dir / "main.py").read_bytes() == (ROOT / "functions" / "main.py").read_bytes()
    assert (bundle_dir / "requirements.txt").read_bytes() == (ROOT / "requirements.txt").read_bytes()
    assert (bundle_dir / "bloom" / "platform" / "registry.py").read_bytes() == (
        ROOT / "shared/bloom/platform/registry.py"
    ).read_bytes()
    assert (bundle_dir / "functions.json").read_text() == render_manifest()


# --- closures: a change redeploys only the functions it touches ---------------------------------------------------

# Run in a source tree: import one function module, then list the bloom areas (bloom.<area>) it loaded.
LOADED_AREAS = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted({".".join(name.split(".")[:2]) for name in sys.modules if name.startswith("bloom.")})))
"""


def loaded_areas(source: Path, module: str) -> set[str]:
    env = {**clean_env(), "PYTHONPATH": os.pathsep.join([str(source / "shared"), str(source)])}
    result = subprocess.run(
        [sys.executable, "-c", LOADED_AREAS, module], cwd=source, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return set(json.loads(result.stdout))


def test_closures_are_written_next_to_the_bundle_for_every_function_and_service(bundle_zip: Path) -> None:
    written = json.loads((bundle_zip.parent / CLOSURES_NAME).read_text())
    assert sorted(written) == ["functions", "services"]  # apart: a service and a function may share a name
    closures = written["functions"]
    assert sorted(closures) == FUNCTION_NAMES
    assert all(len(digest) == 64 for digest in closures.values())
    assert len(set(closures.values())) > 1, "every function would redeploy on every change"
    assert SERVICES and sorted(written["services"]) == sorted(SERVICES)
    assert all(len(digest) == 64 for digest in written["services"].values())


def test_a_service_image_is_rebuilt_only_when_its_closure_or_dockerfile_changes(tmp_path: Path) -> None:
    """The image's tag is its service's closure hash: a change elsewhere keeps the tag, and so the image."""
    source = copy_source(tmp_path / "src")
    manifest = render_manifest()
    before = service_closure_hashes(source, manifest)
    name, spec = next(iter(SERVICES.items()))
    units = Closures(source).units(spec.module)
    outside_area = min(
        path.name
        for path in (source / "shared" / "bloom").iterdir()
        if path.is_dir() and f"bloom.{path.name}" not in units
    )
    entry_modules = {path.stem for path in (source / "functions").glob("*.py")} - {"__init__", "main"}
    outside_function = min(stem for stem in entry_modules if f"functions.{stem}" not in units)
    for changed in (
        source / "shared" / "bloom" / outside_area / "__init__.py",
        source / "functions" / f"{outside_function}.py",
    ):
        changed.write_text(changed.read_text() + "\n# changed\n")
        assert service_closure_hashes(source, manifest)[name] == before[name], (
            f"{changed} is outside {spec.module}'s closure"
        )

    inside = source / "functions" / f"{spec.module.split('.')[-1]}.py"
    inside.write_text(inside.read_text() + "\n# changed\n")
    after_code = service_closure_hashes(source, manifest)[name]
    functions_before = closure_hashes(source, manifest)
    dockerfile = source / SERVICE_DOCKERFILE
    dockerfile.write_text(dockerfile.read_text() + "\n# changed\n")
    after_dockerfile = service_closure_hashes(source, manifest)[name]

    assert len({before[name], after_code, after_dockerfile}) == 3
    assert closure_hashes(source, manifest) == functions_before, "the Dockerfile is no function's"


def test_changing_an_area_changes_the_hash_of_the_functions_importing_it_and_of_no_other(tmp_path: Path) -> None:
    source = copy_source(tmp_path / "src")
    manifest = render_manifest()
    modules = {fn["name"]: fn["module"] for fn in json.loads(manifest)["functions"]}
    before = closure_hashes(source, manifest)
    area = "bloom.therapy"
    changed_file = source / "shared" / "bloom" / "therapy" / "service.py"
    changed_file.write_text(changed_file.read_text() + "\n# changed\n")

    after = closure_hashes(source, manifest)

    changed = {name for name in before if before[name] != after[name]}
    closures = Closures(source)
    importers = {name for name, module in modules.items() if area in closures.units(module)}
    assert changed == importers
    # Anchors that do not rest on the static analysis: what importing each module really loads.
    therapy, health = loaded_areas(source, "functions.therapy"), loaded_areas(source, "functions.health")
    assert area in therapy and area not in health
    assert {name for name, module in modules.items() if module == "functions.therapy"} <= changed
    assert not {name for name, module in modules.items() if module == "functions.health"} & changed


@pytest.mark.parametrize("module", sorted({fn["module"] for fn in json.loads(render_manifest())["functions"]}))
def test_a_closure_holds_every_area_its_module_loads(module: str) -> None:
    """The static closure is never smaller than what importing the module loads (lazy imports make it larger)."""
    static = {unit for unit in Closures(ROOT).units(module) if unit.startswith("bloom.")}
    assert loaded_areas(ROOT, module) <= static


def test_requirements_change_every_hash_and_metadata_none(tmp_path: Path) -> None:
    source = copy_source(tmp_path / "src")
    manifest = render_manifest()
    before = closure_hashes(source, manifest)
    os.utime(source / "shared" / "bloom" / "platform" / "registry.py", (1_000_000_000, 1_000_000_000))
    assert closure_hashes(source, manifest) == before
    (source / "requirements.txt").write_text((source / "requirements.txt").read_text() + "\n")
    after = closure_hashes(source, manifest)
    assert all(before[name] != after[name] for name in before)


# --- loadability -------------------------------------------------------------------------------------------


def test_every_registered_function_is_in_the_bundled_manifest(bundle_manifest: dict[str, dict[str, Any]]) -> None:
    assert sorted(bundle_manifest) == FUNCTION_NAMES


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_function_loads_from_the_bundle_alone(
    name: str, bundle_dir: Path, bundle_manifest: dict[str, dict[str, Any]], framework_sdks: set[str]
) -> None:
    report = load(bundle_dir, name)

    for module, file in report["files"].items():
        assert file is not None, f"{module} was not imported"
        assert Path(file).resolve().is_relative_to(bundle_dir.resolve()), f"{module} came from {file}"
    undeclared = undeclared_sdks(report, bundle_manifest[name], framework_sdks)
    assert not undeclared, f"importing {name} loads SDKs it does not declare: {undeclared}"


def test_an_undeclared_sdk_import_is_caught(tmp_path: Path, framework_sdks: set[str]) -> None:
    """The check above has teeth: a function importing Pub/Sub eagerly without declaring it is flagged."""
    source = copy_source(tmp_path / "src")
    add_probe_function(source, first_line="import google.cloud.pubsub_v1  # eager and undeclared")
    out = tmp_path / "bundle.zip"
    build_bundle(out, source)
    with zipfile.ZipFile(out) as archive:
        archive.extractall(tmp_path / "unzipped")
        manifest = {fn["name"]: fn for fn in json.loads(archive.read("functions.json"))["functions"]}

    report = load(tmp_path / "unzipped", "zz_bundle_probe")

    assert undeclared_sdks(report, manifest["zz_bundle_probe"], framework_sdks) == ["google.cloud.pubsub_v1"]


# What the image runs (`uvicorn <module>:<app>`, terraform/cloud_run.tf): the service's ASGI application, imported
# from the bundle alone. Reports where `bloom` and `functions` came from.
SERVICE_APP = """
import importlib, json, sys
app = getattr(importlib.import_module(sys.argv[1]), sys.argv[2])
print(json.dumps({"callable": callable(app), "files": [sys.modules[name].__file__ for name in ("bloom", "functions")]}))
"""


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_service_app_loads_from_the_bundle_alone(name: str, bundle_dir: Path) -> None:
    manifest = json.loads((bundle_dir / "functions.json").read_text())
    [service] = [svc for svc in manifest["services"] if svc["name"] == name]
    result = run_in(bundle_dir, bundle_python(bundle_dir, SERVICE_APP, service["module"], service["app"]))
    assert result.returncode == 0, (
        f"{service['module']}:{service['app']} did not load from the bundle:\n{result.stderr}"
    )
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["callable"], f"{service['module']}.{service['app']} is not an ASGI application"
    for file in report["files"]:
        assert Path(file).resolve().is_relative_to(bundle_dir.resolve()), file


# --- Pub/Sub push ------------------------------------------------------------------------------------------

# A push subscription (terraform/pubsub.tf) POSTs the plain Pub/Sub body, not a CloudEvent; functions-framework
# turns it into one for a CloudEvent function. An invalid payload is acknowledged (2xx) before any Firestore call.
PUSH = """
import base64, json, sys
from functions_framework import create_app
client = create_app(target=sys.argv[1], source="main.py").test_client()
message = {"data": base64.b64encode(b'{"wrong": 1}').decode(), "messageId": "m-1", "attributes": {"event_id": "e-1"}}
body = {"message": message, "subscription": "projects/demo-bloom/subscriptions/record-heartbeat-push"}
print(client.post("/", json=body).status_code)
"""


def test_a_subscriber_takes_the_body_of_a_pubsub_push(bundle_dir: Path) -> None:
    result = run_in(bundle_dir, [sys.executable, "-c", PUSH, "record_heartbeat"])
    assert result.returncode == 0, result.stderr[-2000:]
    *log, status = result.stdout.splitlines()
    assert status == "200", result.stdout[-2000:]
    [line] = [json.loads(entry) for entry in log if "event payload rejected" in entry]
    assert (line["event_id"], line["function"]) == ("e-1", "record_heartbeat")
