"""Training recipes compared in one run: probe, plain fine-tune, fast mode, full recipe.

    python bench/recipe.py [DATA] [--epochs 8] [--only a,b,c,d] [--set key=value ...]
        [--results docs/results]

The table is saved through `bench/results.py` as docs/results/recipe.json; a run of some
methods only, or with settings, as recipe-METHODS[-SETTINGS].json (e.g. recipe-d-layer_decay-0-95).

DATA (default ../shared/datasets/clothing-small) needs train/, validation/ (or val/) and test/.
(a) logistic-regression probe: scikit-learn on frozen eval-view features (C chosen on val);
(b) plain fine-tune, timm defaults: timm's train/eval transforms, AdamW (lr 1e-3, wd 0.05),
    per-step cosine, no warm-up, no label smoothing, no EMA, no layer decay, no class balance,
    the last epoch's weights;
(c) WildLens fast mode: `train.py mode=fast` (cached features, linear head);
(d) WildLens full recipe: `train.py mode=full` (head warm-up, layer decay, EMA, ...).
(b) and (d) run the same number of epochs at the same precision (bf16 autocast where the CPU
has it) and memory layout, so the comparison is of recipes. Every wall time starts cold: no
feature cache. Test metrics; ECE of the probabilities each method reports ((c), (d): after
their temperature scaling; (a): logistic regression's own; (b): plain softmax).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, Dataset

import wildlens  # noqa: F401  (offline defaults)
from bench.frozen import frozen_features
from bench.results import RESULTS, publish
from wildlens.common.config_loader import load_config
from wildlens.data.images import load_image
from wildlens.data.sources import dataset_splits
from wildlens.data.transforms import Preprocessing
from wildlens.model.config import TrainConfig
from wildlens.model.network.backbones import build_model
from wildlens.model.network.device import autocast, resolve_precision
from wildlens.model.training.features import FeatureCache, feature_views
from wildlens.model.training.finetune import learning_rate_factor
from wildlens.model.trust.calibration import expected_calibration_error, softmax
from wildlens.model.trust.metrics import macro_f1
from wildlens.model.workflows.train import train


def scores(probs: np.ndarray, labels: np.ndarray, seconds: float) -> dict[str, float]:
    predicted = probs.argmax(1)
    return {
        "accuracy": float((predicted == labels).mean()),
        "macro_f1": macro_f1(predicted, labels, probs.shape[1]),
        "ece": expected_calibration_error(probs, labels),
        "seconds": seconds,
    }


def probe(splits, class_ids, cache_root: Path) -> dict[str, float]:
    """(a) Logistic regression on frozen eval-view features, C picked on validation."""
    started = time.perf_counter()
    model = build_model("tf_efficientnet_lite0", len(class_ids)).eval()
    pre = Preprocessing.from_model(model)
    cache = FeatureCache.for_backbone(model, pre, base=cache_root)
    view = feature_views(pre, 0, 0)

    def features(samples):
        return frozen_features(model, pre, samples, view, cache, name="probe")[:, 0]

    index = {c: i for i, c in enumerate(class_ids)}
    x = {name: features(splits[name]) for name in ("train", "val", "test")}
    y = {name: np.array([index[s.label] for s in splits[name]]) for name in x}
    scaler = StandardScaler().fit(x["train"])
    best, best_c = -1.0, None
    for c in (0.01, 0.03, 0.1, 0.3, 1.0):
        fitted = LogisticRegression(C=c, max_iter=3000).fit(
            scaler.transform(x["train"]), y["train"]
        )
        accuracy = fitted.score(scaler.transform(x["val"]), y["val"])
        if accuracy > best:
            best, best_c = accuracy, fitted
    probs = best_c.predict_proba(scaler.transform(x["test"]))
    return {**scores(probs, y["test"], time.perf_counter() - started), "C": best_c.C}


class TimmDataset(Dataset):
    def __init__(self, samples, index, transform):
        self.samples, self.index, self.transform = samples, index, transform

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        sample = self.samples[i]
        image = load_image(sample.source, target_size=300).image
        return self.transform(image), self.index[sample.label]


def plain_fine_tune(splits, class_ids, epochs: int, batch_size: int, workers: int) -> dict:
    """(b) timm defaults: AdamW + cosine, nothing else."""
    started = time.perf_counter()
    torch.manual_seed(0)
    device = torch.device("cpu")
    dtype = resolve_precision("auto", device)
    model = build_model("tf_efficientnet_lite0", len(class_ids)).to(
        memory_format=torch.channels_last
    )
    import timm.data  # after wildlens: its offline defaults are already in force

    config = timm.data.resolve_model_data_config(model)
    index = {c: i for i, c in enumerate(class_ids)}
    train_set = TimmDataset(
        splits["train"], index, timm.data.create_transform(**config, is_training=True)
    )
    test_set = TimmDataset(splits["test"], index, timm.data.create_transform(**config))
    loader = DataLoader(
        train_set,
        batch_size=batch_size,
        shuffle=True,
        num_workers=workers,
        drop_last=True,
        persistent_workers=workers > 0,
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    total = epochs * len(loader)
    step = 0
    for epoch in range(epochs):
        model.train()
        for images, targets in loader:
            for group in optimizer.param_groups:
                group["lr"] = 1e-3 * learning_rate_factor(step, 0, total)
            with autocast(device, dtype):
                loss = torch.nn.functional.cross_entropy(
                    model(images.to(memory_format=torch.channels_last)), targets
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
        print(f"  (b) epoch {epoch + 1}/{epochs}: loss {loss.item():.3f}", flush=True)
    model.eval()
    logits, labels = [], []
    with torch.inference_mode():
        for images, targets in DataLoader(test_set, batch_size=64, num_workers=workers):
            logits.append(model(images).float().numpy())
            labels.append(targets.numpy())
    probs = softmax(np.concatenate(logits))
    return scores(probs, np.concatenate(labels), time.perf_counter() - started)


def wildlens_mode(data: Path, mode: str, args: argparse.Namespace, scratch: Path) -> dict:
    """(c)/(d) train.py itself, cold cache; test metrics from the bundle's report."""
    started = time.perf_counter()
    cfg = load_config(
        TrainConfig,
        [
            f"data={data}",
            f"out={scratch / mode}",
            f"mode={mode}",
            f"epochs={args.epochs}",
            f"batch_size={args.batch_size}",
            f"workers={args.workers}",
            *args.set,
        ],
    )
    bundle = train(cfg)
    seconds = time.perf_counter() - started
    metrics = json.loads((bundle.path / "report" / "metrics.json").read_text())["calibrated"]
    return {
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro_f1"],
        "ece": metrics["ece"],
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default="../shared/datasets/clothing-small")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default="a,b,c,d")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="train.py setting for (c) and (d), e.g. --set augment_strength=0.5 (repeatable)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args()
    data = Path(args.data)
    found, _ = dataset_splits(data)
    class_ids = sorted({s.label for s in found["train"]})
    print(f"{data}: " + ", ".join(f"{k} {len(v)}" for k, v in found.items()), flush=True)
    settings = f" ({', '.join(args.set)})" if args.set else ""
    methods = {
        "a": ("(a) logistic-regression probe", lambda: probe(found, class_ids, scratch / "probe")),
        "b": (
            "(b) plain fine-tune (timm defaults)",
            lambda: plain_fine_tune(found, class_ids, args.epochs, args.batch_size, args.workers),
        ),
        "c": (
            "(c) WildLens fast mode" + settings,
            lambda: wildlens_mode(data, "fast", args, scratch),
        ),
        "d": (
            "(d) WildLens full recipe" + settings,
            lambda: wildlens_mode(data, "full", args, scratch),
        ),
    }
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        os.environ["WILDLENS_CACHE"] = str(scratch / "cache")  # cold: nothing cached
        for key in args.only.split(","):
            name, run = methods[key]
            results[name] = run()
            print_table({name: results[name]})  # as it comes: a long run may be cut short
    notes = f"Test split, tf_efficientnet_lite0 at 224 px, {args.epochs} epochs for (b) and (d)."
    publish(
        result_name(args.only, args.set),
        shlex.join(["python", "bench/recipe.py", *sys.argv[1:]]),
        COLUMNS,
        [table_row(name, row) for name, row in results.items()],
        notes,
        args.results,
    )


def result_name(only: str, settings: list[str]) -> str:
    """recipe for every method at the defaults; else recipe-METHODS[-SETTINGS], e.g.
    recipe-d-layer_decay-0-95 for `--only d --set layer_decay=0.95`."""
    if only == "a,b,c,d" and not settings:
        return "recipe"
    parts = [only.replace(",", ""), *settings]
    return "-".join(["recipe", *(re.sub(r"[^a-z0-9_]+", "-", p.lower()) for p in parts)])


COLUMNS = ["method", "test accuracy", "macro-F1", "ECE", "wall time"]


def table_row(name: str, row: dict) -> list[str]:
    return [
        name,
        f"{row['accuracy']:.3f}",
        f"{row['macro_f1']:.3f}",
        f"{row['ece']:.3f}",
        f"{row['seconds']:.0f} s",
    ]


def print_table(results: dict[str, dict]) -> None:
    print("| " + " | ".join(COLUMNS) + " |")
    print("|---|---:|---:|---:|---:|", flush=True)
    for name, row in results.items():
        print("| " + " | ".join(table_row(name, row)) + " |")


if __name__ == "__main__":
    main()
