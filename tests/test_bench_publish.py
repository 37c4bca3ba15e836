"""The benchmarks save what they measured through bench/results.py, with their command."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import demo  # noqa: E402


def test_the_demo_table_is_read_from_the_bundle_report() -> None:
    metrics = {
        "split": "the training photos, cross-validated",
        "calibrated": {"accuracy": 0.99926},
        "calibration": {"ece_before": 0.0078, "ece_after": 0.00084},
        "routing": {"coverage": 0.6966, "accepted_precision": 1.0},
    }
    rows = demo.table(metrics, seconds=71.6, peak=1_432_000_000, cores=2)
    assert rows == [
        ["wall time, 2 CPU cores", "72 s"],
        ["peak memory (RSS)", "1.4 GB"],
        ["accuracy / ECE before -> after temperature", "0.999 / 0.008 -> 0.001"],
        ["auto-accepted, precision of those", "70%, 1.000"],
    ]


@pytest.mark.slow
def test_a_benchmark_run_saves_its_table_with_its_command_where_it_is_told(tmp_path: Path) -> None:
    committed = (ROOT / "docs" / "results" / "decode.json").read_bytes()
    out = tmp_path / "results"
    argv = ["--count", "1", "--folder", str(tmp_path / "photos"), "--results", str(out)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NO_ALBUMENTATIONS_UPDATE": "1"}
    done = subprocess.run(
        [sys.executable, "bench/decode.py", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads((out / "decode.json").read_text(encoding="utf-8"))
    assert result["command"] == "python bench/decode.py " + " ".join(argv)
    assert [row[:2] for row in result["rows"]] == [
        ["to model size", "plain: Image.open().convert('RGB') + resize"],
        ["to model size", "load_image(target_size=256) + resize"],
        ["decode only", "plain: Image.open().convert('RGB')"],
        ["decode only", "load_image(target_size=256)"],
        ["decode only", "load_image() (full size)"],
    ]
    assert result["rows"][0][3] == result["rows"][2][3] == "1.00x"  # each task's baseline
    assert "| decode only | load_image() (full size) |" in done.stdout  # printed as well
    assert (ROOT / "docs" / "results" / "decode.json").read_bytes() == committed
