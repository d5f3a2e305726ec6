"""Per-request cost of our HTTP toolkit: `ping` through it against a bare functions-framework function that
returns the same body, in one fresh process from the deploy bundle (in-process WSGI calls, no sockets, so the
difference is the toolkit's own work: headers, request id, log line, error mapping), and the process's memory
after 1,000 requests."""

from __future__ import annotations

import json
import tempfile
import zipfile
from pathlib import Path

from infra.bench_report import print_table, run_python
from infra.bundle import build_bundle

REQUESTS = 2000
ROUNDS = 5
_BARE = """
import flask


def bare(request):
    return flask.Response('"ok"', status=200, mimetype="application/json")
"""
# Interleaved rounds, so a busy moment of the machine hits both alike; the median of every request is printed.
_MEASURE = f"""
import json, resource, statistics, time
import functions_framework
toolkit = functions_framework.create_app(target="ping", source="main.py").test_client()
bare = functions_framework.create_app(target="bare", source="bare.py").test_client()
headers = {{"Origin": "http://localhost:3000"}}
samples = {{"toolkit": [], "bare": []}}
for _ in range({ROUNDS}):
    for name, client, path in (("toolkit", toolkit, "/api/ping"), ("bare", bare, "/")):
        for _ in range({REQUESTS // ROUNDS}):
            started = time.perf_counter()
            client.get(path, headers=headers)
            samples[name].append(time.perf_counter() - started)
print(json.dumps({{
    "toolkit": statistics.median(samples["toolkit"]),
    "bare": statistics.median(samples["bare"]),
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}}))
"""


def bundle_with_bare(tmp: Path) -> Path:
    """The deploy bundle unpacked under `tmp`, with `bare.py`: the bare functions-framework function `bare`
    answering what `ping` answers, to measure the toolkit against."""
    bundle, bundle_dir = tmp / "bundle.zip", tmp / "bundle"
    build_bundle(bundle)
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(bundle_dir)
    (bundle_dir / "bare.py").write_text(_BARE)
    return bundle_dir


def toolkit_section() -> None:
    with tempfile.TemporaryDirectory(prefix="bloom-bench-toolkit-") as tmp:
        out, _ = run_python(_MEASURE, [], bundle_with_bare(Path(tmp)))
    figures = json.loads(out.splitlines()[-1])
    overhead = figures["toolkit"] - figures["bare"]
    print_table(
        f"Per-request cost of the toolkit ({REQUESTS} in-process requests each)",
        ["figure", "note", "value"],
        [
            ["ping (our toolkit), p50 µs", "", f"{figures['toolkit'] * 1e6:.0f}"],
            ["bare functions-framework, p50 µs", "same body, no toolkit", f"{figures['bare'] * 1e6:.0f}"],
            ["toolkit overhead, µs", "goal ≤ 300", f"{overhead * 1e6:.0f}"],
            ["process RSS, MB", f"after {REQUESTS * 2} requests (both apps loaded)", f"{figures['rss_mb']:.0f}"],
        ],
        left=2,
    )
