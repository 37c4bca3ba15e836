"""The package move (one `wildlens` package, layers that hold) changed no result: a fast-mode
bundle trained by the code before the move and by this code on the same photos has the same
files (weights, ONNX, metrics, report, model card), and a run's records are the same apart
from their time and code version."""

import json
import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

from wildlens.data.synthetic import write_dataset

ROOT = Path(__file__).resolve().parent.parent
BEFORE_THE_MOVE = "c510078"  # the last commit with top-level data/, model/ and review/ packages

pytestmark = pytest.mark.slow


def reference_checkout(folder: Path) -> Path:
    folder.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", BEFORE_THE_MOVE], capture_output=True
    )
    if archive.returncode != 0:
        pytest.skip(f"commit {BEFORE_THE_MOVE} is not in this clone's history")
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def run(code: Path, script: str, *args: str, cache: Path, isolated: bool) -> None:
    env = {**os.environ, "WILDLENS_CACHE": str(cache)}
    command = [sys.executable, str(code / script), *args]
    if isolated:
        # The old layout, importable only from its own folder: no site initialisation (so the
        # installed wildlens is not found), the dependencies on PYTHONPATH.
        command.insert(1, "-S")
        env["PYTHONPATH"] = os.pathsep.join([str(code), *site.getsitepackages()])
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]


def train_and_infer(code: Path, data: Path, out: Path, isolated: bool) -> None:
    cache = out / "cache"
    run(
        code,
        "train.py",
        f"data={data}",
        f"out={out / 'bundle'}",
        "mode=fast",
        "image_size=64",
        "workers=0",
        "name=same",
        "version=1",
        cache=cache,
        isolated=isolated,
    )
    run(
        code,
        "infer.py",
        f"bundle={out / 'bundle'}",
        f"input={data / 'test'}",
        f"out={out / 'run.csv'}",
        "progress=false",
        cache=cache,
        isolated=isolated,
    )


def test_a_bundle_and_its_records_are_the_same_as_before_the_move(tmp_path):
    reference = reference_checkout(tmp_path / "before")
    data = write_dataset(
        tmp_path / "photos",
        {"train": 12, "val": 10, "test": 6},
        size=72,
        seed=5,
        classes=["bone", "elephant_ivory", "rosewood"],
    )
    train_and_infer(reference, data, tmp_path / "old", isolated=True)
    train_and_infer(ROOT, data, tmp_path / "new", isolated=False)

    old = json.loads((tmp_path / "old" / "bundle" / "bundle.json").read_text())
    new = json.loads((tmp_path / "new" / "bundle" / "bundle.json").read_text())
    assert old["files"] == new["files"]  # weights, model.onnx, metrics.json, plots, card
    assert old["metrics"] == new["metrics"] and old["routing"] == new["routing"]
    for meta in (old, new):
        del meta["created"], meta["config"]["out"]
    assert old == new

    def records(folder: str) -> list[dict]:
        lines = (tmp_path / folder / "run.jsonl").read_text().splitlines()
        rows = [json.loads(line) for line in lines]
        for row in rows:
            del row["time"], row["code_version"]
        return rows

    assert records("old") == records("new") and len(records("new")) == 18
