"""The embedded demo bundle: time and memory of `wildlens demo` with nothing cached.

    python bench/demo.py [--results docs/results]

Runs `wildlens demo` (configs/demo.yaml: render the synthetic catalogue, audit it, train in fast
mode, calibrate, fit the routing policy, export ONNX) as its own process with an empty
WILDLENS_CACHE, as `WILDLENS_CACHE=$(mktemp -d) /usr/bin/time wildlens demo` would, and reports
its wall time, its peak memory (the largest resident set of the process or of any process it
started, what /usr/bin/time calls max RSS) and what the bundle's own report measured on the
photos its calibration was fitted on (the demo has no test split). The table is saved through
`bench/results.py` as docs/results/demo.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.results import RESULTS, publish


def run_demo(cache: Path) -> tuple[Path, float, int]:
    """The demo bundle's folder, the wall seconds and the peak RSS in bytes of `wildlens demo`."""
    command = [str(Path(sys.executable).parent / "wildlens"), "demo"]
    env = {**os.environ, "WILDLENS_CACHE": str(cache)}
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"error: wildlens demo failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kilobytes on Linux
    return Path(done.stdout.strip().splitlines()[-1]), seconds, peak_kb * 1024


def table(metrics: dict, seconds: float, peak: int, cores: int | None) -> list[list[str]]:
    """The rows: time, memory, and the report's calibration and routing numbers (on the photos
    named by the report's `split`)."""
    calibration, routing = metrics["calibration"], metrics["routing"]
    return [
        [f"wall time, {cores} CPU cores", f"{seconds:.0f} s"],
        ["peak memory (RSS)", f"{peak / 1e9:.1f} GB"],
        [
            "accuracy / ECE before -> after temperature",
            f"{metrics['calibrated']['accuracy']:.3f} / {calibration['ece_before']:.3f} -> "
            f"{calibration['ece_after']:.3f}",
        ],
        [
            "auto-accepted, precision of those",
            f"{routing['coverage']:.0%}, {routing['accepted_precision']:.3f}",
        ],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="wildlens-demo-bench-") as cache:
        bundle, seconds, peak = run_demo(Path(cache))
        metrics = json.loads((bundle / "report" / "metrics.json").read_text(encoding="utf-8"))
    publish(
        "demo",
        shlex.join(["python", "bench/demo.py", *sys.argv[1:]]),
        ["step", "result"],
        table(metrics, seconds, peak, os.cpu_count()),
        f"Accuracy, ECE and routing on {metrics['split']}. "
        f"Load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after.",
        args.results,
    )


if __name__ == "__main__":
    main()
