"""The deterministic source bundle every function deploys from (`python -m infra.bundle --out build/bundle.zip`).

Layout at the zip's root, the way the Cloud Functions Python runtime expects it:

    main.py            the deploy entry module (copied from functions/main.py)
    functions/         the entry-point package (every .py file)
    bloom/             the domain library (every .py file of shared/bloom)
    requirements.txt   the runtime dependencies
    functions.json     the manifest, from which main.py resolves each function's module lazily

The same source gives the same bytes: entries are sorted, timestamps are 1980-01-01, permissions 0644, the
compression is deflate at a fixed level and nothing but source goes in (no __pycache__, no .pyc).

Next to the bundle, `closures.json` holds each function's closure hash (under `functions`): a digest of the files
the function can import (its module, the `functions` modules and `bloom` areas that imports, transitively, found
statically by `ast`), `main.py` and `requirements.txt`. Terraform names each function's source object after it, so
a change redeploys exactly the functions whose closure it touches (terraform/source.tf). Each Cloud Run service
has one too (under `services`): its module's closure and the Dockerfile its image is built with, which tags the
image, so an image is built only when that changes (cloudbuild/plan.yaml, infra/service_images.py).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = Path("build") / "bundle.zip"

FIXED_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--
COMPRESS_LEVEL = 9
UNIX = 3  # ZipInfo.create_system; the default depends on the building platform

# package directory in the source tree -> its name at the bundle's root
PACKAGES = {Path("functions"): "functions", Path("shared") / "bloom": "bloom"}
ENTRY_MODULE = Path("functions") / "main.py"
REQUIREMENTS = Path("requirements.txt")
MANIFEST_NAME = "functions.json"
CLOSURES_NAME = "closures.json"
SERVICE_DOCKERFILE = Path("infra") / "service.Dockerfile"

# Rendered in a fresh interpreter so the manifest describes the source root being bundled, whatever the
# calling process has already imported or registered.
_RENDER = "import sys\nfrom infra.manifest import render_manifest\nsys.stdout.write(render_manifest())\n"


def render_manifest_for(source_root: Path) -> str:
    """`infra.manifest.render_manifest()` run against `source_root`'s own code."""
    root = source_root.resolve()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "shared"), str(root)])}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTHONSTARTUP", None)
    result = subprocess.run(  # noqa: S603 - our own interpreter and a constant program
        [sys.executable, "-c", _RENDER],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"rendering the manifest for {root} failed:\n{result.stderr}")
    return result.stdout


def _package_files(directory: Path) -> Iterator[Path]:
    for path in directory.rglob("*.py"):
        if "__pycache__" not in path.relative_to(directory).parts and path.is_file():
            yield path


def bundle_entries(source_root: Path, manifest: str) -> dict[str, bytes]:
    """Archive name -> content, for everything the bundle holds."""
    entries: dict[str, bytes] = {
        "main.py": (source_root / ENTRY_MODULE).read_bytes(),
        REQUIREMENTS.as_posix(): (source_root / REQUIREMENTS).read_bytes(),
        MANIFEST_NAME: manifest.encode(),
    }
    for source, name in PACKAGES.items():
        directory = source_root / source
        if not (directory / "__init__.py").is_file():
            raise FileNotFoundError(f"{directory} is not a package")
        for path in _package_files(directory):
            entries[f"{name}/{path.relative_to(directory).as_posix()}"] = path.read_bytes()
    return entries


def _imported_modules(path: Path, package: str) -> set[str]:
    """Absolute names of every module `path` imports, wherever the import statement is (lazy imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


class Closures:
    """The files each function module can import, by area: a `bloom` area (top-level package or module under
    shared/bloom) or a `functions` module is in a closure as a whole as soon as anything of it is imported."""

    def __init__(self, source_root: Path) -> None:
        self.root = source_root
        self.bloom = source_root / "shared" / "bloom"
        self.functions = source_root / "functions"
        self._files: dict[str, list[Path]] = {}
        self._imports: dict[str, set[str]] = {}  # unit -> the units its files import directly
        self._file_digests: dict[Path, bytes] = {}

    def _unit_of(self, module: str) -> str | None:
        """The area (`bloom.<area>`) or entry module (`functions.<name>`) a module belongs to; None if neither."""
        parts = module.split(".")
        if parts[0] not in {"bloom", "functions"} or len(parts) < 2:
            return None
        base = self.bloom if parts[0] == "bloom" else self.functions
        if (base / parts[1]).is_dir() or (base / f"{parts[1]}.py").is_file():
            return f"{parts[0]}.{parts[1]}"
        return None

    def files(self, unit: str) -> list[Path]:
        if unit not in self._files:
            top, name = unit.split(".", 1)
            base = self.bloom if top == "bloom" else self.functions
            directory = base / name
            self._files[unit] = sorted(_package_files(directory)) if directory.is_dir() else [base / f"{name}.py"]
        return self._files[unit]

    def _package_of(self, path: Path) -> str:
        """The package a file's relative imports start from (a package's own, for its __init__.py too)."""
        if path.is_relative_to(self.bloom):
            parts = ["bloom", *path.relative_to(self.bloom).parts]
        else:
            parts = ["functions", *path.relative_to(self.functions).parts]
        return ".".join(parts[:-1])

    def _imported_units(self, unit: str) -> set[str]:
        """The areas and entry modules the files of `unit` import directly (each file parsed once per instance)."""
        if unit not in self._imports:
            found: set[str | None] = set()
            for path in self.files(unit):
                for imported in _imported_modules(path, self._package_of(path)):
                    found.add(self._unit_of(imported))
            self._imports[unit] = {name for name in found if name is not None}
        return self._imports[unit]

    def units(self, module: str) -> set[str]:
        """Every area and entry module that a function module (e.g. `functions.practice`) reaches by importing."""
        start = self._unit_of(module)
        if start is None:
            raise ValueError(f"{module} is not a module of functions/")
        reached, pending = {start}, [start]
        while pending:
            for unit in self._imported_units(pending.pop()):
                if unit not in reached:
                    reached.add(unit)
                    pending.append(unit)
        return reached

    def _file_digest(self, path: Path) -> bytes:
        if path not in self._file_digests:
            self._file_digests[path] = hashlib.sha256(path.read_bytes()).digest()
        return self._file_digests[path]

    def digest(self, module: str, *also: Path) -> str:
        """sha256 of the closure's files, the entry module, the runtime dependencies and the files `also` names
        (relative to the source root): names and contents."""
        paths = {
            *(self.root / path for path in also),
            self.root / ENTRY_MODULE,
            self.root / REQUIREMENTS,
            self.bloom / "__init__.py",
            self.functions / "__init__.py",
        }
        for unit in self.units(module):
            paths.update(self.files(unit))
        digest = hashlib.sha256()
        for path in sorted(paths):
            digest.update(path.relative_to(self.root).as_posix().encode() + b"\0")
            digest.update(self._file_digest(path))
        return digest.hexdigest()


def closure_hashes(source_root: Path, manifest: str) -> dict[str, str]:
    """Function name -> the hash of its closure (the hash of its module's closure)."""
    closures = Closures(source_root)
    modules = {fn["name"]: fn["module"] for fn in json.loads(manifest)["functions"]}
    by_module = {module: closures.digest(module) for module in sorted(set(modules.values()))}
    return {name: by_module[module] for name, module in sorted(modules.items())}


def service_closure_hashes(source_root: Path, manifest: str) -> dict[str, str]:
    """Service name -> the hash of its image's closure: its module's, and the Dockerfile the image is built with."""
    closures = Closures(source_root)
    modules = {svc["name"]: svc["module"] for svc in json.loads(manifest).get("services", [])}
    return {name: closures.digest(module, SERVICE_DOCKERFILE) for name, module in sorted(modules.items())}


def write_zip(out: Path, entries: dict[str, bytes]) -> str:
    """Write `entries` as a reproducible zip at `out` (atomically); returns its sha256 hex."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    try:
        with zipfile.ZipFile(partial, "w") as archive:
            for name in sorted(entries):
                info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
                info.create_system = UNIX
                info.external_attr = FILE_MODE << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, entries[name], compresslevel=COMPRESS_LEVEL)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return hashlib.sha256(out.read_bytes()).hexdigest()


def build_bundle(out: Path, source_root: Path = ROOT) -> str:
    """Build the deploy bundle of `source_root` at `out`, and each function's and service's closure hash in
    `closures.json` next to it; returns the bundle's sha256 hex."""
    manifest = render_manifest_for(source_root)
    hashes = {
        "functions": closure_hashes(source_root, manifest),
        "services": service_closure_hashes(source_root, manifest),
    }
    closures = json.dumps(hashes, indent=2, sort_keys=True) + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    (out.parent / CLOSURES_NAME).write_text(closures)
    return write_zip(out, bundle_entries(source_root, manifest))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m infra.bundle", description="Build the deterministic deploy bundle."
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"zip to write (default {DEFAULT_OUT})")
    parser.add_argument("--source", type=Path, default=ROOT, help="repository root to bundle (default: this one)")
    args = parser.parse_args(argv)
    out: Path = args.out
    digest = build_bundle(out, args.source)
    print(f"{out}  {out.stat().st_size} bytes  sha256 {digest}")


if __name__ == "__main__":
    main()
