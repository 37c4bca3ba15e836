"""Look-alikes the catalogue lacks, fast mode against full mode (the backbone fine-tuned).

    python bench/lookalike_full.py [DATA] [--draws 4-7] [--per-class 60|30|all] [--epochs 10]

bench/trust.py's `lookalike` part measures fast mode on frozen features: a random catalogue of 7
of DATA's 10 classes (default ../shared/datasets/clothing-small), the photos of the other 3 given
to the model as look-alikes it has no class for. This runs the same draws (the same classes and
the same `--per-class` photos per class, from `LOOKALIKE_SIZES`' seeds) as a user would: the
drawn photos linked into a folder, `train()` in fast mode and in full mode on the CPU (each the
shipped defaults, `--epochs` for full mode), then each bundle's own `Predictor` (ONNX Runtime) on
every catalogue photo not drawn and every look-alike photo. Reported per mode: look-alikes
auto-accepted and called unknown, catalogue photos auto-accepted (precision) and called unknown,
accuracy, and the AUROC of the bundle's combined unknown score (look-alikes against catalogue
photos; no threshold in it). Saved as trust-lookalike-full-PER (PER: 30, 60 or all) through
bench/results.py.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

import wildlens  # noqa: F401  (offline defaults)
from bench.results import publish
from bench.trust import LOOKALIKE_SIZES, fmt, lookalike_catalogue
from wildlens.data.sources import dataset_splits
from wildlens.model.config import TrainConfig
from wildlens.model.network.backends import ModelOutputs
from wildlens.model.serving.predictor import Predictor
from wildlens.model.training.policy import routing_measures
from wildlens.model.trust.calibration import softmax
from wildlens.model.trust.unknown import unknown_auroc
from wildlens.model.workflows.train import train

MODES = ("fast", "full")


def draw_catalogue(pool, classes, per_class: int | None, draw: int) -> tuple[list[int], np.ndarray]:
    """bench/trust.py part_lookalike's draw `draw` at `per_class` (None: every pool photo of the
    drawn classes): its classes and photos."""
    known_count = next(k for _, p, k in LOOKALIKE_SIZES if p == per_class)
    labels = np.array([classes.index(s.label) for s in pool])
    known, chosen = lookalike_catalogue(labels, len(classes), per_class, known_count, draw)
    return [int(c) for c in known], chosen


def link_catalogue(pool, chosen, out: Path) -> Path:
    """The chosen photos hard-linked (or copied) into OUT/<class>/, as a user's folder."""
    for i in chosen:
        sample = pool[i]
        target = out / sample.label / f"{i:05d}{Path(sample.source).suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(sample.source, target)
        except OSError:
            target.write_bytes(Path(sample.source).read_bytes())
    return out


def evaluate(bundle: Path, photos, truth: np.ndarray, is_lookalike: np.ndarray) -> dict:
    """The bundle's decisions on `photos`, measured as bench/trust.py measures fast mode
    (`routing_measures`): catalogue photos (truth: class ids) and look-alikes (`is_lookalike`)."""
    predictor = Predictor.from_bundle(bundle, device="cpu")
    logits, features = [], []
    for start in range(0, len(photos), 64):
        images = [predictor.load(s.source).image for s in photos[start : start + 64]]
        out = predictor.outputs(images)
        logits.append(out.logits)
        features.append(out.features)
    logits, features = np.concatenate(logits), np.concatenate(features)
    catalogue = ~is_lookalike
    labels = np.array([predictor.class_ids.index(c) for c in truth[catalogue]])
    m = routing_measures(
        ModelOutputs(logits[catalogue], features[catalogue]),
        labels,
        predictor.trust(),
        ModelOutputs(logits[is_lookalike], features[is_lookalike]),
    )
    confidence = softmax(logits, predictor.temperature).max(1)
    return {
        "confidence_auroc": float(unknown_auroc(-confidence[catalogue], -confidence[is_lookalike])),
        "lookalike_accepted": m["unknown"]["auto_accepted"],
        "lookalike_unknown": m["unknown"]["called_unknown"],
        "auroc": m["unknown"]["auroc"]["combined"],
        "accepted": m["routing"]["coverage"],
        "precision": m["routing"]["accepted_precision"],
        "unknown": m["routing"]["unknown_rate"],
        "accuracy": float((logits[catalogue].argmax(1) == labels).mean()),
    }


def run_draw(data: Path, draw: int, per_class: int | None, epochs: int, scratch: Path) -> dict:
    found, _ = dataset_splits(data)
    classes = sorted({s.label for s in found["train"]})
    pool = [s for split in found if split != "test" for s in found[split]]
    known, chosen = draw_catalogue(pool, classes, per_class, draw)
    folder = link_catalogue(pool, chosen, scratch / f"draw{draw}" / "photos")
    drawn = set(int(i) for i in chosen)
    everything = [s for i, s in enumerate(pool) if i not in drawn] + list(found["test"])
    known_names = {classes[c] for c in known}
    truth = np.array([s.label for s in everything])
    is_lookalike = ~np.isin(truth, list(known_names))
    results = {}
    for mode in MODES:
        out = scratch / f"draw{draw}" / mode
        began = time.perf_counter()
        cfg = TrainConfig(data=str(folder), out=str(out), mode=mode, device="cpu", epochs=epochs)
        train(cfg, progress=False, log=lambda line: None)
        seconds = time.perf_counter() - began
        results[mode] = evaluate(out, everything, truth, is_lookalike) | {"seconds": seconds}
        print(f"[draw {draw} {mode}: {sorted(known_names)}] {results[mode]}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default="../shared/datasets/clothing-small")
    parser.add_argument("--draws", default="4-7", help="FIRST-LAST of bench/trust.py's draws")
    parser.add_argument(
        "--per-class", default="60", choices=("30", "60", "all"), help="all: every pool photo"
    )
    parser.add_argument("--epochs", type=int, default=10, help="full mode's epochs")
    args = parser.parse_args()
    per_class = None if args.per_class == "all" else int(args.per_class)
    found = re.fullmatch(r"(\d+)(?:-(\d+))?", args.draws)
    problem = None
    if not found or int(found[2] or found[1]) < int(found[1]):
        problem = f"--draws {args.draws!r}: give FIRST-LAST (4-7) or one draw (4)"
    elif not (Path(args.data) / "train").is_dir():
        problem = f"{args.data}: no train/ folder of classes there; give the dataset's folder"
    elif args.epochs < 1:
        problem = "--epochs: give 1 or more"
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        raise SystemExit(2)
    draws = range(int(found[1]), int(found[2] or found[1]) + 1)
    command = "python bench/lookalike_full.py " + " ".join(sys.argv[1:])
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for draw in draws:
            results[draw] = run_draw(Path(args.data), draw, per_class, args.epochs, Path(scratch))
    rows = []
    for mode in MODES:
        values = {k: [results[d][mode][k] for d in draws] for k in results[draws[0]][mode]}
        rows.append(
            [
                f"{mode} mode",
                fmt(values["lookalike_accepted"]),
                fmt(values["lookalike_unknown"]),
                fmt(values["auroc"]),
                fmt(values["confidence_auroc"]),
                fmt(values["accepted"]),
                fmt(values["precision"]),
                fmt(values["unknown"]),
                fmt(values["accuracy"]),
                f"{np.mean(values['seconds']):.0f}",
            ]
        )
    publish(
        f"trust-lookalike-full-{args.per_class}",
        command,
        [
            "7 classes, every pool photo" if per_class is None else f"7 classes x {per_class}",
            "look-alikes: auto-accepted",
            "look-alikes: called unknown",
            "AUROC, look-alikes against catalogue photos: unknown score",
            "AUROC: confidence (lower for look-alikes)",
            "catalogue photos auto-accepted",
            "accepted precision (target 0.95)",
            "catalogue photos called unknown",
            "accuracy",
            "training s",
        ],
        rows,
        f"draws {args.draws} of bench/trust.py's lookalike part (mean ± s.d.); full mode "
        f"{args.epochs} epochs on the CPU",
    )


if __name__ == "__main__":
    main()
