"""Train a model on labelled photos, calibrate it, fit routing, evaluate it, write a bundle.

Two modes share everything but the fitting itself:
- `full`: fine-tune the whole network (`model.finetune`); the default on a GPU;
- `fast`: cached backbone features and a linear head (`model.features`, `model.head`); the
  default on a CPU, for workshops: a few hundred photos in well under a minute.

    bundle = train(load_config(TrainConfig, ["data=photos/"]))
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
from model.device import resolve_precision, select_device
from model.distributed import Distributed
from model.features import FeatureCache, extract_features, feature_views
from model.finetune import EpochCallback, FineTuneSettings, fine_tune
from model.head import HeadSettings, head_logits, install_head, train_linear_head
from model.metrics import routing_metrics
from model.report import Evaluation, evaluation_files, model_card, summary_lines
from model.routing import fit_policy, route
from wildlens.config import TrainConfig, config_to_dict
from wildlens.paths import DEFAULT_CATALOGUE

# Config keys that change where or how fast a run goes, not what it computes.
NON_SEMANTIC_KEYS = ("out", "overwrite", "workers", "resume", "name", "version", "description")


@dataclass(frozen=True)
class Splits:
    train: list[Sample]
    val: list[Sample]
    test: list[Sample]
    class_ids: list[str]
    prepared: PreparedSplits

    def labels(self, split: str) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.class_ids)}
        return np.array([index[s.label] for s in getattr(self, split)], dtype=np.int64)


@dataclass
class Fitted:
    """What a training mode returns: the model and its logits on the held-out splits."""

    model: torch.nn.Module
    logits: dict[str, np.ndarray]  # "val", and "test" when there is a test split
    history: list[dict[str, Any]] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)


def resolve_mode(mode: str, device: torch.device) -> str:
    """`auto`: full fine-tuning on a GPU, fast mode on a CPU."""
    if mode == "auto":
        return "full" if device.type == "cuda" else "fast"
    return mode


def train(
    cfg: TrainConfig,
    *,
    progress: bool = True,
    log: Callable[[str], None] = print,
    extra_meta: dict[str, Any] | None = None,
    on_epoch_end: EpochCallback | None = None,
) -> Bundle | None:
    """Run the whole recipe of `cfg` and write the bundle to `cfg.out`.

    Under torchrun every process trains; only rank 0 evaluates and writes the bundle (the other
    ranks return None).

    Args:
        cfg: the resolved training config.
        progress: show progress bars.
        log: where one-line status messages go.
        extra_meta: more bundle.json fields (the demo marks itself here).
        on_epoch_end: called with each epoch's row of metrics (full mode).
    """
    dist = Distributed.from_environment(find_unused_parameters=cfg.warmup_epochs > 0)
    try:
        return _train(
            cfg, dist, progress, log if dist.is_main else _quiet, extra_meta, on_epoch_end
        )
    finally:
        dist.close()


def _quiet(_: str) -> None:
    pass


def _train(cfg, dist, progress, log, extra_meta, on_epoch_end) -> Bundle | None:
    if cfg.deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
    seed_everything(cfg.seed)
    device = dist.device(select_device(cfg.device))
    mode = resolve_mode(cfg.mode, device)
    if mode == "fast" and dist.enabled:
        raise ValueError("fast mode runs in one process; use mode=full under torchrun")
    splits = load_splits(cfg)
    log(
        f"{len(splits.class_ids)} classes; {len(splits.train)} training, {len(splits.val)} "
        f"validation, {len(splits.test)} test photos; {mode} mode on {device}"
    )
    if splits.prepared.excluded:
        log(f"left out {len(splits.prepared.excluded)} unreadable photos (see report/audit.md)")
    catalogue = load_catalogue(cfg.catalogue or DEFAULT_CATALOGUE).for_classes(
        splits.class_ids, cfg.default_target_precision
    )
    model = build_model(cfg.architecture, len(splits.class_ids), cfg.weights, cfg.drop_rate)
    pre = Preprocessing.from_model(model, cfg.image_size)
    data = data_summary(cfg.data, splits)
    checkpoint_dir = Path(f"{cfg.out}.partial")
    if not cfg.resume:
        shutil.rmtree(checkpoint_dir, ignore_errors=True)
    fit = _fit_fast if mode == "fast" else _fit_full
    fitted = fit(
        model,
        splits,
        pre,
        cfg,
        device,
        dist,
        checkpoint_dir,
        run_fingerprint(cfg, data),
        progress,
        on_epoch_end,
    )
    if not dist.is_main:
        return None

    val_labels = splits.labels("val")
    temperature = fit_temperature(fitted.logits["val"], val_labels)
    val_probs = softmax(fitted.logits["val"], temperature)
    entries = [catalogue[c] for c in splits.class_ids]
    policy = fit_policy(
        val_probs,
        val_labels,
        tuple(splits.class_ids),
        tuple(e.target_precision for e in entries),
        tuple(e.always_review for e in entries),
    )
    split = "test" if splits.test else "val"
    evaluation = Evaluation(
        split=split,
        samples=getattr(splits, split),
        labels=splits.labels(split),
        probs_uncalibrated=softmax(fitted.logits[split]),
        probs=softmax(fitted.logits[split], temperature),
        class_ids=splits.class_ids,
    )
    names = [catalogue[c].name() for c in splits.class_ids]
    routing = routing_metrics(evaluation.probs, evaluation.labels, route(evaluation.probs, policy))
    files = {
        **audit_files(splits.prepared),
        **evaluation_files(evaluation, names, fitted.history, {"routing": routing}),
    }
    evaluated = evaluation.metrics()
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
        "data": data,
        "metrics": {
            "mode": mode,
            "evaluation": {k: evaluated[k] for k in ("split", "uncalibrated", "calibrated")},
            # Optimistic when split == "val": the thresholds were fitted on these photos.
            "routing": routing,
            "history": fitted.history,
            **fitted.notes,
        },
        "config": {**config_to_dict(cfg), "mode": mode},
        **(extra_meta or {}),
    }
    files["MODEL_CARD.md"] = model_card(meta).encode()
    bundle = save_bundle(
        cfg.out, fitted.model.cpu(), meta, extra_files=files, overwrite=cfg.overwrite
    )
    shutil.rmtree(checkpoint_dir, ignore_errors=True)
    for line in summary_lines(evaluated):
        log(line)
    log(f"temperature {temperature:.2f}; auto-accepted {routing['coverage']:.0%} of {split} photos")
    log(f"bundle written to {bundle.path} (report in {bundle.path / 'report'}, MODEL_CARD.md)")
    return bundle


def _fit_full(
    model, splits, pre, cfg, device, dist, checkpoint_dir, fingerprint, progress, on_epoch_end
) -> Fitted:
    """Fine-tune the whole network (model.finetune), then logits of the held-out splits."""
    decode = pre.resize_size
    train_set = ImageDataset(
        splits.train,
        splits.class_ids,
        train_transforms(pre, cfg.augment_strength, seed=cfg.seed),
        decode,
    )
    val_set = ImageDataset(splits.val, splits.class_ids, eval_transforms(pre), decode)
    settings = FineTuneSettings(
        epochs=cfg.epochs,
        warmup_epochs=min(cfg.warmup_epochs, cfg.epochs),
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        layer_decay=cfg.layer_decay,
        weight_decay=cfg.weight_decay,
        label_smoothing=cfg.label_smoothing,
        class_balance=cfg.class_balance,
        ema_decay=cfg.ema_decay,
        grad_clip=cfg.grad_clip,
        patience=cfg.patience,
        seed=cfg.seed,
        workers=cfg.workers,
        dtype=resolve_precision(cfg.precision, device),
        channels_last=cfg.channels_last,
        fingerprint=fingerprint,
    )
    result = fine_tune(
        model, train_set, val_set, settings, device, checkpoint_dir, dist, on_epoch_end, progress
    )
    logits = {}
    if dist.is_main:
        for split in ("val", "test"):
            if getattr(splits, split):
                held_out = ImageDataset(
                    getattr(splits, split), splits.class_ids, eval_transforms(pre), decode
                )
                loader = DataLoader(held_out, batch_size=cfg.batch_size, num_workers=cfg.workers)
                logits[split] = collect_logits(result.model, loader, device, progress)[0]
    notes = {"best_epoch": result.best_epoch, "stopped_early": result.stopped_early}
    return Fitted(result.model, logits, result.history, notes)


def _fit_fast(
    model, splits, pre, cfg, device, dist, checkpoint_dir, fingerprint, progress, on_epoch_end
) -> Fitted:
    """Cached backbone features of a few views per photo, and a linear head on them."""
    sha256 = {r["key"]: r["sha256"] for r in splits.prepared.report["records"]}
    cache = FeatureCache.for_backbone(model, pre)
    views = feature_views(pre, cfg.fast_views, cfg.augment_strength, cfg.seed)

    def features(samples, chosen, name):
        return extract_features(
            model,
            samples,
            [sha256[s.key] for s in samples],
            chosen,
            cache,
            pre,
            cfg.batch_size,
            progress,
            name,
        )

    train_features = features(splits.train, views, "features (train)")
    settings = HeadSettings(
        epochs=cfg.head_epochs,
        lr=cfg.head_lr,
        weight_decay=cfg.weight_decay,
        label_smoothing=cfg.label_smoothing,
        dropout=cfg.head_dropout,
        class_balance=cfg.class_balance,
        seed=cfg.seed,
    )
    weight, bias = train_linear_head(
        train_features, splits.labels("train"), len(splits.class_ids), settings
    )
    install_head(model, weight, bias)
    logits = {}
    for split in ("val", "test"):
        if getattr(splits, split):
            held_out = features(getattr(splits, split), views[:1], f"features ({split})")
            logits[split] = head_logits(held_out[:, 0], weight, bias)
    return Fitted(model.eval(), logits, notes={"views_per_photo": len(views)})


def run_fingerprint(cfg: TrainConfig, data: dict[str, Any]) -> str:
    """What a resume checkpoint must match: the semantic config and the data."""
    config = {k: v for k, v in config_to_dict(cfg).items() if k not in NON_SEMANTIC_KEYS}
    text = json.dumps({"config": config, "data": data["fingerprint"]}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


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
    test_samples = [s for s in prepared.splits.get("test", []) if s.label in class_ids]
    return Splits(train_samples, val_samples, test_samples, class_ids, prepared)


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
    parts = {"train": splits.train, "val": splits.val, "test": splits.test}
    for name, samples in parts.items():
        for sample in sorted(samples, key=lambda s: s.key):
            digest.update(f"{name}\t{sample.key}\t{sample.label}\t{sha256[sample.key]}\n".encode())
    return {
        "source": str(Path(root).resolve()),
        "fingerprint": digest.hexdigest(),
        "split_by": splits.prepared.split_by,
        "excluded": splits.prepared.excluded,
        "counts": {
            name: dict(sorted(Counter(s.label for s in samples).items()))
            for name, samples in parts.items()
            if samples
        },
    }


@torch.inference_mode()
def collect_logits(
    model: torch.nn.Module, loader: DataLoader, device: torch.device, progress: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Logits (N, C) and labels (N,) of a whole loader, in order, in fp32 as at inference."""
    model = model.to(device).eval()
    logits, labels = [], []
    for images, targets in tqdm(loader, desc="evaluate", disable=not progress, leave=False):
        logits.append(model(images.to(device)).float().cpu().numpy())
        labels.append(targets.numpy())
    if not logits:
        return np.zeros((0, model.num_classes), np.float32), np.zeros(0, np.int64)
    return np.concatenate(logits), np.concatenate(labels)
