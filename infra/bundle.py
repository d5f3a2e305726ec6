"""The deterministic source bundle every function deploys from (`python -m infra.bundle --out build/bundle.zip`).

Layout at the zip's root, the way the Cloud Functions Python runtime expects it:

    main.py            the deploy entry module (copied from functions/main.py)
    functions/         the entry-point package (every .py file)
    bloom/             the domain library (every .py file of shared/bloom)
    requirements.txt   the runtime dependencies
    functions.json     the manifest, from which main.py resolves each function's module lazily

The same source gives the same bytes: entries are sorted, timestamps are 1980-01-01, permissions 0644, the
compression is deflate at a fixed level and nothing but source goes in (no __pycache__, no .pyc). Only the
content of the files matters, so touching a file does not change the hash and Terraform redeploys nothing.
"""

from __future__ import annotations

import argparse
import hashlib
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
    """Build the deploy bundle of `source_root` at `out`; returns its sha256 hex."""
    return write_zip(out, bundle_entries(source_root, render_manifest_for(source_root)))


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
