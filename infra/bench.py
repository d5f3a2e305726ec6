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
from infra.bench_billing import billing_section
from infra.bench_credentialing import credentialing_section
from infra.bench_front import front_section
from infra.bench_livechat import livechat_section
from infra.bench_records import records_section
from infra.bench_report import print_table, run_python
from infra.bench_reporting import reporting_section
from infra.bench_scheduling import scheduling_section
from infra.bench_search import search_section
from infra.bench_therapy import therapy_section
from infra.bench_throughput import throughput_section
from infra.bench_toolkit import toolkit_section
from infra.bundle import build_bundle

RUNS = 5  # fresh processes per figure; the median is printed
STACK_FLOOR = ("functions_framework", "pydantic")  # what any function on this stack imports, before our code
COLD_START_GOAL = 1.1

Section = Callable[[], None]

# Timed inside the child, so interpreter start-up is excluded; `import json` comes after the clock stops.
_COLD_START = """
import importlib, sys, time
t0 = time.perf_counter()
import functions_framework
t1 = time.perf_counter()
functions_framework.create_app(target=sys.argv[1], source="main.py")
t2 = time.perf_counter()
for module in sys.argv[2:]:  # the SDKs the function imports lazily, on its first request
    importlib.import_module(module)
t3 = time.perf_counter()
import json
print(json.dumps({"framework": t1 - t0, "create_app": t2 - t1, "lazy_sdks": t3 - t2}))
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
    lazy_sdks: float  # then importing the declared SDKs it defers to its first request (what is left of them)
    stack_floor: float  # functions_framework, pydantic and the declared SDKs alone, measured between the runs

    @property
    def total(self) -> float:
        return self.framework + self.create_app

    @property
    def ready(self) -> float:
        """Everything imported that the first request needs: the part of a cold start our code decides."""
        return self.total + self.lazy_sdks


def _cold_start(bundle_dir: Path, target: str, floor_modules: tuple[str, ...], floor_dir: Path, runs: int) -> ColdStart:
    """The function's cold start, each run followed by one of its stack floor, so both see the same machine load."""
    samples: list[dict[str, float]] = []
    walls: list[float] = []
    floors: list[float] = []
    for _ in range(runs):
        out, wall = run_python(_COLD_START, [target, *floor_modules], bundle_dir)
        samples.append(json.loads(out))
        walls.append(wall)
        floors.append(float(run_python(_SDK_FLOOR, floor_modules, floor_dir)[0]))
    return ColdStart(
        framework=statistics.median(s["framework"] for s in samples),
        create_app=statistics.median(s["create_app"] for s in samples),
        process=statistics.median(walls),
        lazy_sdks=statistics.median(s["lazy_sdks"] for s in samples),
        stack_floor=statistics.median(floors),
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
            sdks = tuple(sorted(fn["sdks"]))
            cold = _cold_start(bundle_dir, fn["name"], STACK_FLOOR + sdks, empty_dir, runs)
            if sdks not in floors:
                floors[sdks] = _sdk_floor(sdks, empty_dir, runs)
            ratio = cold.ready / cold.stack_floor
            rows.append(
                [
                    fn["name"],
                    ",".join(_short(sdk) for sdk in sdks) or "-",
                    _ms(cold.create_app),
                    _ms(cold.total),
                    _ms(cold.process),
                    _ms(floors[sdks]) if sdks else "-",
                    _ms(cold.ready),
                    _ms(cold.stack_floor),
                    f"{ratio:.2f}x" + ("  over 1.1x" if ratio > COLD_START_GOAL else ""),
                ]
            )
            print(f"  measured {fn['name']}", file=sys.stderr, flush=True)

    print_table(
        f"Cold start: imports per function (median of {runs} fresh processes, ms)",
        [
            "function",
            "declared sdks",
            "create_app",
            "+framework",
            "process",
            "sdk floor",
            "ready",
            "stack floor",
            "vs floor",
        ],
        rows,
        left=2,
        notes=[
            "create_app   functions_framework.create_app(target, source='main.py'), after importing the framework",
            "+framework   the same plus `import functions_framework`",
            "process      wall time of the whole fresh process, interpreter start-up included",
            "sdk floor    importing only the declared SDK modules in a fresh process (the lazily imported part)",
            "ready        +framework, then the declared SDKs the function defers to its first request",
            "stack floor  importing functions_framework, pydantic and the declared SDKs, nothing of ours"
            " (each run alternates with one of the function's, so both see the same load)",
            f"vs floor     ready / stack floor: what our code adds to the floor (goal <= {COLD_START_GOAL}x)",
            f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus;"
            " bytecode cached (one warm-up run per function)",
        ],
    )


# Run in order by `main()`; append further sections (each prints its own table) here.
SECTIONS: list[Section] = [
    import_section,
    toolkit_section,
    throughput_section,
    api_section,
    therapy_section,
    reporting_section,
    scheduling_section,
    billing_section,
    records_section,
    credentialing_section,
    search_section,
    livechat_section,
    front_section,
]


def main() -> None:
    from bloom.core.logging import configure_logging

    configure_logging()
    logging.getLogger().setLevel(logging.WARNING)  # scenario setup logs each step; the tables are the output
    for section in SECTIONS:
        section()


if __name__ == "__main__":
    main()
