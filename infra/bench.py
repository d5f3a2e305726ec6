"""Benchmarks (`make bench`): figures printed to stdout, never asserted.

Each section is a callable printing one aligned table; `main()` runs `SECTIONS` in order. Add a section by
writing a function that prints its table and appending it to `SECTIONS`.

Imports: every function is loaded the way Cloud Functions loads it — a fresh interpreter in the unzipped
deploy bundle asking functions-framework for the target from `main.py` — with a minimal environment. The
"SDK floor" is what importing only the function's declared SDKs costs in a fresh interpreter: the part of
its cold start no amount of laziness in our code can remove.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.bench_api import api_section
from infra.bench_report import print_table, run_python
from infra.bench_reporting import reporting_section
from infra.bench_toolkit import toolkit_section
from infra.bundle import build_bundle

RUNS = 5  # fresh processes per figure; the median is printed

Section = Callable[[], None]

# Timed inside the child, so interpreter start-up is excluded; `import json` comes after the clock stops.
_COLD_START = """
import sys, time
t0 = time.perf_counter()
import functions_framework
t1 = time.perf_counter()
functions_framework.create_app(target=sys.argv[1], source="main.py")
t2 = time.perf_counter()
import json
print(json.dumps({"framework": t1 - t0, "create_app": t2 - t1}))
"""

_SDK_FLOOR = """
import importlib, sys, time
t0 = time.perf_counter()
for module in sys.argv[1:]:
    importlib.import_module(module)
t1 = time.perf_counter()
print(t1 - t0)
"""


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


@dataclass(frozen=True)
class ColdStart:
    framework: float  # `import functions_framework`
    create_app: float  # create_app(target, source="main.py"): main.py, the function's module, its imports
    process: float  # the whole child process, interpreter start-up included, seen from outside

    @property
    def total(self) -> float:
        return self.framework + self.create_app


def _cold_start(bundle_dir: Path, target: str, runs: int) -> ColdStart:
    samples: list[dict[str, float]] = []
    walls: list[float] = []
    for _ in range(runs):
        out, wall = run_python(_COLD_START, [target], bundle_dir)
        samples.append(json.loads(out))
        walls.append(wall)
    return ColdStart(
        framework=statistics.median(s["framework"] for s in samples),
        create_app=statistics.median(s["create_app"] for s in samples),
        process=statistics.median(walls),
    )


def _sdk_floor(sdks: tuple[str, ...], cwd: Path, runs: int) -> float:
    if not sdks:
        return 0.0
    return statistics.median(float(run_python(_SDK_FLOOR, sdks, cwd)[0]) for _ in range(runs))


def _short(sdk: str) -> str:
    return sdk.removeprefix("google.cloud.")


def import_section(runs: int = RUNS) -> None:
    """Cold import per function, from the built bundle, against the floor of its declared SDKs."""
    with tempfile.TemporaryDirectory(prefix="bloom-bench-") as tmp:
        bundle, bundle_dir, empty_dir = Path(tmp) / "bundle.zip", Path(tmp) / "bundle", Path(tmp) / "empty"
        build_bundle(bundle)
        with zipfile.ZipFile(bundle) as archive:
            archive.extractall(bundle_dir)
        empty_dir.mkdir()
        functions: list[dict[str, Any]] = json.loads((bundle_dir / "functions.json").read_text())["functions"]

        floors: dict[tuple[str, ...], float] = {}
        rows: list[list[str]] = []
        for fn in functions:
            run_python(_COLD_START, [fn["name"]], bundle_dir)  # warm-up: writes the bytecode cache
            cold = _cold_start(bundle_dir, fn["name"], runs)
            sdks = tuple(sorted(fn["sdks"]))
            if sdks not in floors:
                floors[sdks] = _sdk_floor(sdks, empty_dir, runs)
            rows.append(
                [
                    fn["name"],
                    ",".join(_short(sdk) for sdk in sdks) or "-",
                    _ms(cold.create_app),
                    _ms(cold.total),
                    _ms(cold.process),
                    _ms(floors[sdks]) if sdks else "-",
                ]
            )
            print(f"  measured {fn['name']}", file=sys.stderr, flush=True)

    print_table(
        f"Cold start: imports per function (median of {runs} fresh processes, ms)",
        ["function", "declared sdks", "create_app", "+framework", "process", "sdk floor"],
        rows,
        left=2,
        notes=[
            "create_app   functions_framework.create_app(target, source='main.py'), after importing the framework",
            "+framework   the same plus `import functions_framework`",
            "process      wall time of the whole fresh process, interpreter start-up included",
            "sdk floor    importing only the declared SDK modules in a fresh process (the lazily imported part)",
            f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus;"
            " bytecode cached (one warm-up run per function)",
        ],
    )


# Run in order by `main()`; append further sections (each prints its own table) here.
SECTIONS: list[Section] = [import_section, toolkit_section, api_section, reporting_section]


def main() -> None:
    from bloom.core.logging import configure_logging

    configure_logging()
    logging.getLogger().setLevel(logging.WARNING)  # scenario setup logs each step; the tables are the output
    for section in SECTIONS:
        section()


if __name__ == "__main__":
    main()
