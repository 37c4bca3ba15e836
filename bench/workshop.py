"""Workshop training, as the Workshop tab runs it: fast mode on a small labelled set, cold and warm.

    python bench/workshop.py [DATA] [--sizes 5x30,10x60] [--results docs/results]

DATA (default ../shared/datasets/clothing-small) is sampled into workshop-sized sets (CLASSESxPER
photos of its train split, linked into a temporary folder). Each set is trained three times in one
process, exactly as `wildlens.ui.workshop_tab.train_model` calls `train()` (fast mode, the
default decode workers, the app's `workshop_views`): first with an empty feature cache (cold: every
photo decoded and passed through the backbone), then on another draw of photos (the backbone's ONNX
graph cached from the first run, the photos new), then that draw again (warm: a trainer who
retrains on the same photos). Reported: whole training time (audit, features,
cross-fitted head, trust policy, report, bundle and ONNX export), each stage's share (from the
log's timestamps), and the longest wait between two progress updates the tab would show.
The first `train()` of the process also pays the imports of the training stack (torch, timm),
as the app does on its first workshop run; the import time is reported on its own.
Each size's table is saved through `bench/results.py` as docs/results/workshop-SIZE.json.
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import itertools

import wildlens  # noqa: F401  (offline defaults)
from bench.results import RESULTS, publish


def sample_set(data: Path, classes: int, per_class: int, out: Path, seed: int = 0) -> Path:
    """CLASSES x PER photos of DATA's train split, linked into OUT/train/<class>/."""
    rng = random.Random(seed)
    names = sorted(p.name for p in (data / "train").iterdir() if p.is_dir())
    for name in rng.sample(names, classes):
        photos = sorted((data / "train" / name).iterdir())
        target = out / "train" / name
        target.mkdir(parents=True)
        for photo in rng.sample(photos, per_class):
            os.link(photo, target / photo.name)
    return out


def timed_train(source: Path, out: Path) -> dict:
    from wildlens.model.config import TrainConfig
    from wildlens.model.workflows.train import train
    from wildlens.ui.config import AppConfig

    views = AppConfig.workshop_views
    cfg = TrainConfig(data=str(source), out=str(out), mode="fast", device="cpu", fast_views=views)
    marks: list[tuple[float, str]] = []
    updates: list[tuple[float, str]] = []

    def log(line: str) -> None:
        marks.append((time.perf_counter(), line.splitlines()[0][:60]))

    def on_progress(stage: str, done: int, total: int) -> None:
        updates.append((time.perf_counter(), f"{stage} {done}/{total}"))

    start = time.perf_counter()
    updates.append((start, "start"))
    train(cfg, progress=False, log=log, on_progress=on_progress)
    end = time.perf_counter()
    updates.append((end, "end"))
    gaps = [(b[0] - a[0], f"{a[1]} -> {b[1]}") for a, b in itertools.pairwise(updates)]
    return {
        "seconds": end - start,
        "longest_gap": max(gaps),
        "stages": _stage_times(updates),
        "marks": [(t - start, line) for t, line in marks],
    }


def _stage_times(updates: list[tuple[float, str]]) -> dict[str, float]:
    """Seconds from each stage's first update to the next stage's first update."""
    firsts: dict[str, float] = {}
    for t, label in updates:
        firsts.setdefault(label.rsplit(" ", 1)[0], t)
    times = list(firsts.items())
    return {name: b - a for (name, a), (_, b) in itertools.pairwise(times)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", nargs="?", default="../shared/datasets/clothing-small")
    parser.add_argument("--sizes", default="5x30,10x60")  # CLASSESxPHOTOS, comma-separated
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args()
    command = shlex.join(["python", "bench/workshop.py", *sys.argv[1:]])
    data = Path(args.data)
    start = time.perf_counter()
    import timm  # noqa: F401
    import torch  # noqa: F401

    import wildlens.model.workflows.train  # noqa: F401

    imports = time.perf_counter() - start
    print(f"importing the training stack: {imports:.1f} s\n")
    columns = ["set", "caches", "seconds", "longest wait between updates", "stages (s)"]
    print("| " + " | ".join(columns) + " |")
    print("|---|---|---:|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["WILDLENS_CACHE"] = str(Path(tmp) / "cache")
        for size in args.sizes.split(","):
            classes, per_class = (int(x) for x in size.split("x"))
            first = sample_set(data, classes, per_class, Path(tmp) / f"{size}-a", seed=0)
            other = sample_set(data, classes, per_class, Path(tmp) / f"{size}-b", seed=1)
            rows = []
            # first: nothing cached (a new laptop); new photos: this backbone seen before, these
            # photos not (the feature and signature caches cold); warm: the same photos again.
            for run, source in (("first", first), ("new photos", other), ("warm", other)):
                result = timed_train(source, Path(tmp) / f"{size}-{run.replace(' ', '-')}")
                gap, where = result["longest_gap"]
                stages = ", ".join(f"{k} {v:.1f}" for k, v in result["stages"].items())
                rows.append([size, run, f"{result['seconds']:.1f}", f"{gap:.1f} ({where})", stages])
                print("| " + " | ".join(rows[-1]) + " |", flush=True)
            load = os.getloadavg()[0]
            publish(
                f"workshop-{size}",
                command,
                columns,
                rows,
                f"Importing the training stack (not included): {imports:.1f} s. "
                f"Load average {load:.1f} after the size.",
                args.results,
            )


if __name__ == "__main__":
    main()
