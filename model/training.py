"""Fine-tune a backbone on labelled photos, calibrate it, fit routing, and write a bundle.

bundle = train(load_config(TrainConfig, ["data=photos/"]))
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from data.audit import markdown_report
from data.datasets import ImageDataset
from data.prepare import PreparedSplits, prepare_splits
from data.sources import DatasetError, Sample
from data.transforms import Preprocessing, eval_transforms, train_transforms
from model.backbones import build_model
from model.bundle import Bundle, save_bundle
from model.calibration import fit_temperature, softmax
from model.catalogue import load_catalogue
from model.device import select_device
from model.export import export_to_bundle
from model.report import classification_metrics, routing_metrics
from model.routing import fit_policy, route
from wildlens.config import TrainConfig, config_to_dict
from wildlens.paths import DEFAULT_CATALOGUE


@dataclass(frozen=True)
class Splits:
    train: list[Sample]
    val: list[Sample]
    class_ids: list[str]
    prepared: PreparedSplits


def train(
    cfg: TrainConfig,
    *,
    progress: bool = True,
    log: Callable[[str], None] = print,
    extra_meta: dict[str, Any] | None = None,
) -> Bundle:
    """Run the whole recipe of `cfg` and write the bundle to `cfg.out`.

    Args:
        cfg: the resolved training config.
        progress: show progress bars.
        log: where one-line status messages go.
        extra_meta: more bundle.json fields (the demo marks itself here).
    Returns:
        The written bundle.
    """
    seed_everything(cfg.seed)
    device = select_device(cfg.device)
    splits = load_splits(cfg)
    log(
        f"{len(splits.class_ids)} classes, {len(splits.train)} training and {len(splits.val)} "
        f"validation photos; device {device}"
    )
    if splits.prepared.excluded:
        log(f"left out {len(splits.prepared.excluded)} unreadable photos (see report/audit.md)")
    catalogue = load_catalogue(cfg.catalogue or DEFAULT_CATALOGUE).for_classes(
        splits.class_ids, cfg.default_target_precision
    )
    model = build_model(cfg.architecture, len(splits.class_ids), cfg.weights, cfg.drop_rate)
    model = model.to(device)
    pre = Preprocessing.from_model(model, cfg.image_size)
    train_loader = _loader(
        ImageDataset(
            splits.train,
            splits.class_ids,
            train_transforms(pre, seed=cfg.seed),
            decode_size=pre.resize_size,
        ),
        cfg,
        shuffle=True,
    )
    val_loader = _loader(
        ImageDataset(
            splits.val, splits.class_ids, eval_transforms(pre), decode_size=pre.resize_size
        ),
        cfg,
        shuffle=False,
    )
    history = fit(model, train_loader, cfg, device, progress)

    logits, labels = collect_logits(model, val_loader, device, progress)
    temperature = fit_temperature(logits, labels)
    probs = softmax(logits, temperature)
    entries = [catalogue[c] for c in splits.class_ids]
    policy = fit_policy(
        probs,
        labels,
        tuple(splits.class_ids),
        tuple(e.target_precision for e in entries),
        tuple(e.always_review for e in entries),
    )
    metrics = {
        "split": "val",
        "uncalibrated": classification_metrics(softmax(logits), labels, splits.class_ids),
        "calibrated": classification_metrics(probs, labels, splits.class_ids),
        # Optimistic: the thresholds were fitted on these same images.
        "routing": routing_metrics(probs, labels, route(probs, policy)),
        "train_loss": history,
    }
    meta = {
        "name": cfg.name,
        "version": cfg.version or datetime.now(UTC).strftime("%Y.%m.%d-%H%M%S"),
        "description": cfg.description,
        "demo": False,
        "architecture": cfg.architecture,
        "preprocessing": pre.to_dict(),
        "class_ids": splits.class_ids,
        "catalogue": catalogue.to_dict(),
        "temperature": temperature,
        "routing": policy.to_dict(),
        "unknown": None,
        "data": data_summary(cfg.data, splits),
        "metrics": metrics,
        "config": config_to_dict(cfg),
        **(extra_meta or {}),
    }
    bundle = save_bundle(
        cfg.out,
        model.cpu(),
        meta,
        extra_files=audit_files(splits.prepared),
        overwrite=cfg.overwrite,
    )
    bundle = export_to_bundle(bundle)  # model.onnx, from the saved weights: infer.py on CPUs
    calibrated = metrics["calibrated"]
    log(
        f"val accuracy {calibrated.get('accuracy', float('nan')):.3f}, macro-F1 "
        f"{calibrated.get('macro_f1', float('nan')):.3f}, ECE {calibrated.get('ece', 0):.3f} "
        f"(T={temperature:.2f}); auto-accepted {metrics['routing']['coverage']:.0%}"
    )
    log(f"bundle written to {bundle.path}")
    return bundle


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def load_splits(cfg: TrainConfig) -> Splits:
    """Audited, leakage-safe train/val samples: the dataset's own splits, or a group split."""
    if not cfg.data:
        raise DatasetError("no dataset given: train.py data=PATH (an ImageFolder tree)")
    fractions = {
        "train": 1.0 - cfg.val_fraction - cfg.test_fraction,
        "val": cfg.val_fraction,
        "test": cfg.test_fraction,
    }
    if fractions["train"] <= 0 or cfg.val_fraction <= 0:
        raise DatasetError("val_fraction must be > 0 and val_fraction + test_fraction < 1")
    prepared = prepare_splits(
        cfg.data,
        {name: f for name, f in fractions.items() if f > 0},
        seed=cfg.seed,
        allow_leakage=cfg.allow_leakage,
        workers=cfg.workers,
    )
    train_samples = prepared.splits.get("train", [])
    val_samples = prepared.splits.get("val", [])
    if not train_samples or not val_samples:
        raise DatasetError(
            f"{cfg.data}: need train and validation photos; found splits "
            f"{sorted(k for k, v in prepared.splits.items() if v)} (name folders train/ and val/, "
            "or give one folder of class folders to split automatically)"
        )
    class_ids = sorted({s.label for s in train_samples})
    unseen = sorted({s.label for s in val_samples} - set(class_ids))
    if unseen:
        raise DatasetError(f"{cfg.data}: classes {unseen} are in val but not in train")
    if len(class_ids) < 2:
        raise DatasetError(f"{cfg.data}: need at least 2 classes, found {class_ids}")
    return Splits(train_samples, val_samples, class_ids, prepared)


def audit_files(prepared: PreparedSplits) -> dict[str, bytes]:
    """The dataset audit, for the bundle's report folder (per-image records left out)."""
    report = {k: v for k, v in prepared.report.items() if k != "records"}
    return {
        "report/audit.json": (json.dumps(report, indent=1, ensure_ascii=False) + "\n").encode(),
        "report/audit.md": markdown_report(prepared.report).encode(),
    }


def data_summary(root: str, splits: Splits) -> dict[str, Any]:
    """Counts per split and class, and a fingerprint over every file's content and label."""
    sha256 = {r["key"]: r["sha256"] for r in splits.prepared.report["records"]}
    digest = hashlib.sha256()
    for name, samples in (("train", splits.train), ("val", splits.val)):
        for sample in sorted(samples, key=lambda s: s.key):
            digest.update(f"{name}\t{sample.key}\t{sample.label}\t{sha256[sample.key]}\n".encode())
    return {
        "source": str(Path(root).resolve()),
        "fingerprint": digest.hexdigest(),
        "split_by": splits.prepared.split_by,
        "excluded": splits.prepared.excluded,
        "counts": {
            "train": dict(sorted(Counter(s.label for s in splits.train).items())),
            "val": dict(sorted(Counter(s.label for s in splits.val).items())),
        },
    }


def _init_worker(_: int) -> None:
    # One thread per decode worker: the cores belong to the model.
    cv2.setNumThreads(1)
    torch.set_num_threads(1)


def _loader(dataset: ImageDataset, cfg: TrainConfig, shuffle: bool) -> DataLoader:
    return DataLoader(
        dataset,
        batch_size=cfg.batch_size,
        shuffle=shuffle,
        num_workers=cfg.workers,
        worker_init_fn=_init_worker if cfg.workers else None,
        persistent_workers=cfg.workers > 0,
        generator=torch.Generator().manual_seed(cfg.seed),
    )


def fit(
    model: torch.nn.Module,
    loader: DataLoader,
    cfg: TrainConfig,
    device: torch.device,
    progress: bool,
) -> list[float]:
    """AdamW with a cosine schedule (linear warm-up) and label smoothing; mean loss per epoch."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    total = max(1, cfg.epochs * len(loader))
    warmup = min(total // 10, 100)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: (
            (step + 1) / (warmup + 1)
            if step < warmup
            else 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))
        ),
    )
    criterion = torch.nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
    history = []
    for epoch in range(cfg.epochs):
        model.train()
        losses = []
        bar = tqdm(
            loader, desc=f"epoch {epoch + 1}/{cfg.epochs}", disable=not progress, leave=False
        )
        for images, targets in bar:
            images, targets = images.to(device), targets.to(device)
            loss = criterion(model(images), targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
        history.append(float(np.mean(losses)))
        if progress:
            tqdm.write(f"epoch {epoch + 1}/{cfg.epochs}: train loss {history[-1]:.4f}")
    return history


@torch.inference_mode()
def collect_logits(
    model: torch.nn.Module, loader: DataLoader, device: torch.device, progress: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Logits (N, C) and labels (N,) of a whole loader, in order."""
    model.eval()
    logits, labels = [], []
    for images, targets in tqdm(loader, desc="evaluate", disable=not progress, leave=False):
        logits.append(model(images.to(device)).float().cpu().numpy())
        labels.append(targets.numpy())
    if not logits:
        return np.zeros((0, model.num_classes), np.float32), np.zeros(0, np.int64)
    return np.concatenate(logits), np.concatenate(labels)
