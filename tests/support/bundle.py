"""Running code from an unpacked deploy bundle the way the service image runs it (infra/service.Dockerfile): a
fresh interpreter whose path is the bundle and the installed packages, never this source tree."""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

from infra.stack import ManagedProcess

# The venv's installed packages stand in for the image's (the same requirements.txt).
SITE_PACKAGES = sysconfig.get_paths()["purelib"]
# -I: no PYTHONPATH, user site or script directory on the path; -S: no `site`, so no .pth file is read (the
# development venv's bloom-dev.pth points at a source tree). The path is then the standard library, the bundle
# first and the installed packages last, as the image's PYTHONPATH and site-packages make it.
_PRELUDE = "import sys\nsys.path.insert(0, sys.argv.pop(1))\nsys.path.append(sys.argv.pop(1))\n"


def bundle_python(bundle: Path, program: str, *args: str) -> list[str]:
    """The command running `program` (with `args` as sys.argv[1:]) on the bundle at `bundle` alone."""
    return [sys.executable, "-I", "-S", "-c", _PRELUDE + program, str(bundle), SITE_PACKAGES, *args]


# `python -m uvicorn ARGS` for the bundle-only interpreter (`bundle_python`'s program, ARGS as its sys.argv[1:]).
_UVICORN = "from uvicorn.main import main\nsys.argv[0] = 'uvicorn'\nmain()\n"


def from_bundle(service: ManagedProcess, bundle: Path) -> ManagedProcess:
    """The stack's process of a service (`infra.stack.service_processes`), run as its image runs it: the same
    uvicorn arguments, in the unpacked bundle at `bundle`, by an interpreter that sees only the bundle."""
    uvicorn_args = service.command[service.command.index("uvicorn") + 1 :]
    return ManagedProcess(
        f"bundled-{service.name}",
        bundle_python(bundle, _UVICORN, *uvicorn_args),
        service.ready,
        service.log_path.parent,
        cwd=bundle,
    )
