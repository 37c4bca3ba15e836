"""Routing on real photos: calibration, guaranteed auto-accept, shortlists, unknown items.

    python bench/routing.py [DATA] [--unknown hat,skirt] [--mode fast] [--calibration-share 0.5]
                            [--test-share 0.0]

DATA (default ../shared/datasets/clothing-small) with train/, validation/ and test/ folders.
The `--unknown` classes are held out of training entirely; all their photos (train, validation
and test folders: none was seen) play the items outside the catalogue. Every other class gets
target precision 0.98 (delta 0.1) through `default_target_precision`. A 0.98 guarantee at
delta 0.1 needs at least 114 right answers of a class among its calibration photos
(0.98^114 < 0.1), more than the dataset's validation split holds, so the calibration split is
the validation photos plus `--calibration-share` of the training photos (stratified, seeded,
near-duplicates kept together). `--test-share` moves that share of the training photos to the
test split: 348 test photos cannot resolve an ECE of 0.03 (the bench prints what a perfectly
calibrated model would measure on them).
Trains once per unknown score (energy, Mahalanobis; the second run reuses the cached features)
and prints, on the test split: ECE before/after calibration, precision of the auto-accepted
answers and the share sent to review, shortlist coverage and size at nominal 95%, and
unknown-detection AUROC.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

import wildlens  # noqa: F401  (offline defaults)
from wildlens.data.audit import audit, cluster_of
from wildlens.data.config import load_config
from wildlens.data.sources import dataset_splits
from wildlens.data.splits import group_split
from wildlens.model.calibration import expected_calibration_error
from wildlens.model.config import TrainConfig
from wildlens.model.training import train


def write_manifests(
    data: Path, unknown: set[str], folder: Path, calibration_share: float, test_share: float = 0.0
) -> tuple[Path, Path]:
    """A manifest of the known classes (train, calibration, test) and one of the held-out
    classes' photos. Validation photos and `calibration_share` of the training photos calibrate;
    the test photos and `test_share` of the training photos test."""
    found, _ = dataset_splits(data)
    train = [s for s in found["train"] if s.label not in unknown]
    clusters = cluster_of(audit(train))
    parts = group_split(
        [s.label for s in train],
        [clusters[s.key] for s in train],
        {
            "train": 1 - calibration_share - test_share,
            "calibration": calibration_share,
            "test": test_share,
        },
    )
    split_of = {train[i].key: name for name, indices in parts.items() for i in indices}
    known_path, unknown_path = folder / "known.csv", folder / "unknown.csv"
    with known_path.open("w", newline="") as known, unknown_path.open("w", newline="") as other:
        known_rows, other_rows = csv.writer(known), csv.writer(other)
        known_rows.writerow(["path", "label", "split"])
        other_rows.writerow(["path", "label"])
        for split, samples in found.items():
            for sample in samples:
                if sample.label in unknown:
                    other_rows.writerow([str(sample.source), sample.label])
                    continue
                row_split = {"train": split_of.get(sample.key), "val": "calibration"}.get(
                    split, split
                )
                known_rows.writerow([str(sample.source), sample.label, row_split])
    return known_path, unknown_path


def ece_floor(predictions: Path, measured: float, draws: int = 2000) -> tuple[float, float, float]:
    """ECE a perfectly calibrated model would measure on these photos from sampling alone: the
    report's confidences kept, each answer right with probability equal to its confidence.
    Returns the mean and the 90th percentile over `draws` simulated test sets, and the share of
    them at or above `measured` (how often perfect calibration looks at least this bad)."""
    with predictions.open(newline="") as file:
        confidence = np.array([float(row["confidence"]) for row in csv.DictReader(file)])
    rng = np.random.default_rng(0)
    eces = np.array(
        [
            expected_calibration_error(
                np.c_[confidence, np.zeros_like(confidence)],
                rng.random(len(confidence)) >= confidence,
            )
            for _ in range(draws)
        ]
    )
    return float(eces.mean()), float(np.percentile(eces, 90)), float(np.mean(eces >= measured))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default="../shared/datasets/clothing-small")
    parser.add_argument("--unknown", default="hat,skirt")
    parser.add_argument("--mode", default="fast")
    parser.add_argument("--calibration-share", type=float, default=0.5)
    parser.add_argument(
        "--test-share",
        type=float,
        default=0.0,
        help="share of the training photos added to the test split (a larger test split "
        "measures ECE with less sampling noise)",
    )
    args = parser.parse_args()
    unknown = set(args.unknown.split(","))
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        os.environ.setdefault("WILDLENS_CACHE", str(scratch / "cache"))
        known, other = write_manifests(
            Path(args.data).resolve(), unknown, scratch, args.calibration_share, args.test_share
        )
        for score in ("energy", "mahalanobis"):
            cfg = load_config(
                TrainConfig,
                [
                    f"data={known}",
                    f"out={scratch / score}",
                    f"mode={args.mode}",
                    "default_target_precision=0.98",
                    "routing_delta=0.1",
                    "shortlist_coverage=0.95",
                    f"unknown_score={score}",
                    f"unknown_data={other}",
                ],
            )
            started = time.perf_counter()
            bundle = train(cfg, progress=False)
            seconds = time.perf_counter() - started
            metrics = json.loads((bundle.path / "report" / "metrics.json").read_text())
            rows.append((score, metrics, bundle.meta.metrics["calibration"], seconds))
            if len(rows) == 1:  # calibration is the same in every run: simulate it once
                floor = ece_floor(
                    bundle.path / "report" / "predictions.csv", metrics["calibrated"]["ece"]
                )
    print(
        f"\nheld out as unknown: {sorted(unknown)} ({rows[0][1]['unknown']['unknown_photos']} "
        f"photos); {args.mode} mode; test split; calibration split: {rows[0][2]['num_images']}\n"
    )
    print(
        "| unknown score | ECE before | ECE after | auto-accepted | precision of accepted | "
        "sent to review | shortlist coverage (95%) | mean shortlist size | unknown AUROC | "
        "in-catalogue called unknown | wall time |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for score, m, _, seconds in rows:
        routing, shortlist, found = m["routing"], m["shortlist"], m["unknown"]
        precision = routing["accepted_precision"]
        print(
            f"| {score} | {m['uncalibrated']['ece']:.3f} | {m['calibrated']['ece']:.3f} | "
            f"{routing['coverage']:.1%} | {'-' if precision is None else f'{precision:.3f}'} | "
            f"{routing['review_rate']:.1%} | {shortlist['coverage']:.3f} | "
            f"{shortlist['mean_size']:.2f} | {found['auroc']:.3f} | "
            f"{found['in_catalogue_called_unknown']:.1%} | {seconds:.0f} s |"
        )
    print(
        "\nper class (energy run, test split): photos predicted as the class, how many of them"
        " were auto-accepted and their precision, review rate, target, threshold status"
    )
    for class_id, row in rows[0][1]["routing"]["per_class"].items():
        print(f"  {class_id}: {row}")
    print(f"calibration split: {rows[0][2]}")
    print(
        f"ECE of a perfectly calibrated model with these test confidences (simulated, sampling "
        f"alone): mean {floor[0]:.3f}, 90th percentile {floor[1]:.3f}; {floor[2]:.0%} of "
        f"such test sets measure at least the ECE measured here"
    )


if __name__ == "__main__":
    main()
