"""Unknown detection over every pair of held-out classes, not just one: which fast-mode head
settings and which unknown score find items outside the catalogue in general?

    python bench/unknown_pairs.py [DATA] [--smoothing 0.1,0.0]

DATA defaults to ../shared/datasets/clothing-small.

bench/routing.py holds out one pair of classes; one pair can favour a score by chance. Here each
of the C(C, 2) pairs is held out in turn. For each pair the fast-mode head (the config's
defaults, with each `--smoothing` value of `head_label_smoothing`) is trained on the other
classes' training photos (eval view plus the default light views), its temperature fitted on
their validation photos; the unknown score is the energy of the calibrated logits. For
comparison: the Mahalanobis distance of the eval-view features, and the sum of the two scores
(energy of the default head), each standardised by the validation photos' scores. AUROC: test
photos of the known classes against every photo of the held-out pair (none was seen). The
backbone is frozen, so its features are extracted once for all pairs.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch

import wildlens  # noqa: F401  (offline defaults)
from bench.frozen import frozen_features
from wildlens.data.sources import dataset_splits
from wildlens.data.transforms import Preprocessing
from wildlens.model.backbones import build_model
from wildlens.model.calibration import fit_temperature
from wildlens.model.config import TrainConfig
from wildlens.model.features import Embedder, FeatureCache, feature_views
from wildlens.model.head import head_logits, train_linear_head
from wildlens.model.modes import head_settings
from wildlens.model.unknown import energy_scores, fit_mahalanobis, unknown_auroc


def extract(data: Path, views: int):
    """Eval-view features of every photo and `views` light views of the training photos."""
    found, _ = dataset_splits(data)
    classes = sorted({s.label for s in found["train"]})
    model = build_model("tf_efficientnet_lite0", len(classes)).eval()
    pre = Preprocessing.from_model(model)
    chosen = feature_views(pre, views, seed=0)
    out = {}
    with tempfile.TemporaryDirectory() as scratch:
        cache = FeatureCache.for_backbone(model, pre, base=Path(scratch))
        embedder = Embedder(model, pre, torch.device("cpu"))
        for split, samples in found.items():
            wanted = chosen if split == "train" else chosen[:1]
            features = frozen_features(model, pre, samples, wanted, cache, embedder, split)
            out[split] = (features, np.array([s.label for s in samples]))
    return classes, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default="../shared/datasets/clothing-small")
    parser.add_argument("--smoothing", default="0.1,0.0", help="head_label_smoothing values")
    args = parser.parse_args()
    torch.set_num_threads(1)  # many small heads: threads only add overhead
    defaults = TrainConfig()
    smoothing = [float(value) for value in args.smoothing.split(",")]
    if defaults.head_label_smoothing not in smoothing:
        parser.error(f"--smoothing must include the default, {defaults.head_label_smoothing:g}")
    classes, splits = extract(Path(args.data), defaults.fast_views)
    validation = next(name for name in splits if name not in ("train", "test"))
    (train, y_train), (val, y_val), (test, y_test) = (
        splits[name] for name in ("train", validation, "test")
    )
    every = np.concatenate([train[:, 0], val[:, 0], test[:, 0]])
    y_every = np.concatenate([y_train, y_val, y_test])
    combined = "energy + mahalanobis (sum of standardised scores)"
    names = [f"energy, head_label_smoothing={value:g}" for value in smoothing]
    names += ["mahalanobis", combined]
    auroc = {name: [] for name in names}
    accuracy = {name: [] for name in names[: len(smoothing)]}
    pairs = list(itertools.combinations(classes, 2))
    for pair in pairs:
        known = [c for c in classes if c not in pair]
        index = {c: i for i, c in enumerate(known)}
        keep_train, keep_val, keep_test = (~np.isin(y, pair) for y in (y_train, y_val, y_test))
        labels = np.array([index[c] for c in y_train[keep_train]])
        val_labels = np.array([index[c] for c in y_val[keep_val]])
        test_labels = np.array([index[c] for c in y_test[keep_test]])
        outside = every[np.isin(y_every, pair)]
        for name, value in zip(names, smoothing, strict=False):
            settings = dataclasses.replace(head_settings(defaults), label_smoothing=value)
            weight, bias = train_linear_head(train[keep_train], labels, len(known), settings)
            logits = [
                head_logits(features, weight, bias)
                for features in (val[keep_val, 0], test[keep_test, 0], outside)
            ]
            temperature = fit_temperature(logits[0], val_labels)
            energy = [energy_scores(rows, temperature) for rows in logits]
            auroc[name].append(unknown_auroc(*energy[1:]))
            accuracy[name].append(float((logits[1].argmax(1) == test_labels).mean()))
            if value == defaults.head_label_smoothing:
                shipped = energy
        scorer = fit_mahalanobis(train[keep_train, 0], labels, len(known))
        distance = [scorer.score(f) for f in (val[keep_val, 0], test[keep_test, 0], outside)]
        auroc["mahalanobis"].append(unknown_auroc(*distance[1:]))
        # Each score standardised by its validation (in-catalogue) photos, then summed.
        both = [
            sum((score[i] - score[0].mean()) / score[0].std() for score in (shipped, distance))
            for i in (1, 2)
        ]
        auroc[combined].append(unknown_auroc(*both))
        print(f"{'/'.join(pair)}: " + ", ".join(f"{auroc[n][-1]:.3f}" for n in names), flush=True)
    first = np.array(auroc[names[0]])
    print(
        f"\n{len(pairs)} held-out pairs of {len(classes)} classes; fast mode, "
        f"tf_efficientnet_lite0; test photos of the known classes against every photo of the pair\n"
    )
    print(
        "| unknown score | AUROC mean | median | worst pair | pairs better than the first row "
        "| test accuracy (mean) |\n|---|---:|---:|---:|---:|---:|"
    )
    for name in names:
        values = np.array(auroc[name])
        mean_accuracy = f"{np.mean(accuracy[name]):.3f}" if name in accuracy else "-"
        print(
            f"| {name} | {values.mean():.3f} | {np.median(values):.3f} | {values.min():.3f} | "
            f"{np.sum(values > first)} of {len(pairs)} | {mean_accuracy} |"
        )


if __name__ == "__main__":
    main()
