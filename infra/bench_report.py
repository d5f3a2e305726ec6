"""What every `make bench` section shares: aligned tables, fresh interpreters and local stacks to measure in."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from infra.stack_runner import RunningStack, start_stack, stop_stack

T = TypeVar("T")


def print_table(
    title: str, header: Sequence[str], rows: Sequence[Sequence[str]], notes: Sequence[str] = (), left: int = 1
) -> None:
    """One aligned table: the first `left` columns (labels) left-aligned, the others (figures) right-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(width) if i < left else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    print(f"\n== {title} ==")
    print(line(header))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(line(row))
    for note in notes:
        print(note)
    sys.stdout.flush()


def _clean_env() -> dict[str, str]:
    """Nothing of this repository on the path: what a deployed function has."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),  # noqa: S108 - only a fallback for HOME
        "GOOGLE_CLOUD_PROJECT": "demo-bloom",
    }


def run_python(program: str, args: Sequence[str], cwd: Path) -> tuple[str, float]:
    """Run `program` in a fresh interpreter; returns its stdout and the wall time of the whole process."""
    start = time.perf_counter()
    result = subprocess.run(  # noqa: S603 - our own interpreter and constant programs
        [sys.executable, "-c", program, *args],
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"benchmark process failed ({' '.join(args)}):\n{result.stderr}")
    return result.stdout.strip().splitlines()[-1], wall


def on_stack(measure: Callable[[RunningStack], T], settings: dict[str, str] | None = None) -> T:
    """`measure(stack)` on a local stack of its own (free ports, `settings` added to its environment), with the
    stack's environment exported so that in-process calls reach the same emulators; the stack stops after."""
    added = settings or {}
    with tempfile.TemporaryDirectory() as work_dir:
        process, stack = start_stack(Path(work_dir), added)
        try:
            os.environ.update({**stack.env, **added})
            return measure(stack)
        finally:
            stop_stack(process)


def run_alone(section: Callable[[], None]) -> None:
    """One section by itself (`python -m infra.bench_<area>`), with our logs at WARNING and above."""
    from bloom.core.logging import configure_logging

    configure_logging()
    logging.getLogger().setLevel(logging.WARNING)
    section()
