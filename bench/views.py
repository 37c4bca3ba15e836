"""Fast mode's feature views: does a linear head gain from augmented views of each photo?

    python bench/views.py [DATA] [--results docs/results]

DATA defaults to ../shared/datasets/clothing-small.

Features of every training photo are extracted for the eval view, two light views
(`data.transforms.view_transforms`: crop to 70%, mirror, light) and two officer-strength views
(`train_transforms` at strength 1: any rotation, perspective, blur, noise, JPEG). The same
head (fast mode's cross-fitted logistic regression, C chosen out of fold) is fitted on each
combination, on all training photos and on 30 photos per class (a workshop-sized set, three
draws), and scored on the test split. The table is saved through `bench/results.py` as
docs/results/views.json.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch

import wildlens  # noqa: F401  (offline defaults)
from bench.frozen import frozen_features
from bench.results import RESULTS, publish
from wildlens.data.sources import dataset_splits
from wildlens.data.transforms import (
    Preprocessing,
    eval_transforms,
    train_transforms,
    view_transforms,
)
from wildlens.model.network.backbones import build_model
from wildlens.model.training.crossfit import CrossFitSettings, assign_folds, cross_fit
from wildlens.model.training.features import Embedder, FeatureCache, View
from wildlens.model.training.head import head_logits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default="../shared/datasets/clothing-small")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args()
    data = Path(args.data)
    found, _ = dataset_splits(data)
    classes = sorted({s.label for s in found["train"]})
    index = {c: i for i, c in enumerate(classes)}
    model = build_model("tf_efficientnet_lite0", len(classes)).eval()
    pre = Preprocessing.from_model(model)
    views = [
        View("eval", eval_transforms(pre), seeded=False),
        *(View(f"light-{i}", view_transforms(pre, seed=0), seeded=True) for i in range(2)),
        *(View(f"officer-{i}", train_transforms(pre, 1.0, seed=0), seeded=True) for i in range(2)),
    ]
    with tempfile.TemporaryDirectory() as scratch:
        cache = FeatureCache.for_backbone(model, pre, base=Path(scratch))
        embedder = Embedder(model, pre, torch.device("cpu"))

        train = frozen_features(model, pre, found["train"], views, cache, embedder, "views")
        test = frozen_features(model, pre, found["test"], views[:1], cache, embedder, "views")
        test = test[:, 0]
    y_train = np.array([index[s.label] for s in found["train"]])
    y_test = np.array([index[s.label] for s in found["test"]])
    combinations = {
        "eval view only": [0],
        "eval + 1 light view (default)": [0, 1],
        "eval + 2 light views": [0, 1, 2],
        "eval + 2 officer-strength views": [0, 3, 4],
    }
    rng = np.random.default_rng(0)
    draws = [
        np.concatenate(
            [
                rng.choice(np.flatnonzero(y_train == c), 30, replace=False)
                for c in range(len(classes))
            ]
        )
        for _ in range(3)
    ]
    columns = [
        "views per training photo",
        "test accuracy, all photos",
        "test accuracy, 30 per class (mean of 3 draws)",
    ]
    print("\n| " + " | ".join(columns) + " |\n|---|---:|---:|")
    rows = []
    for name, chosen in combinations.items():
        scores = []
        for rows_drawn in [np.arange(len(y_train)), *draws]:
            labels = y_train[rows_drawn]
            folds = assign_folds([str(y) for y in labels], [str(r) for r in rows_drawn], 5, 0)
            fit = cross_fit(
                train[rows_drawn][:, chosen], labels, folds, len(classes), CrossFitSettings()
            )
            logits = head_logits(test, fit.weight, fit.bias)
            scores.append(float((logits.argmax(1) == y_test).mean()))
        rows.append([name, f"{scores[0]:.3f}", f"{np.mean(scores[1:]):.3f}"])
        print("| " + " | ".join(rows[-1]) + " |", flush=True)
    publish(
        "views",
        shlex.join(["python", "bench/views.py", *sys.argv[1:]]),
        columns,
        rows,
        "Test split; fast mode's cross-fitted logistic head on tf_efficientnet_lite0 features.",
        args.results,
    )


if __name__ == "__main__":
    main()
