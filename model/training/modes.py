"""The two ways training fits a network, behind one signature:

- `full`: fine-tune the whole network (`wildlens.model.training.finetune`); the default on a GPU;
- `fast`: cached backbone features and a cross-fitted logistic-regression head
  (`wildlens.model.training.features`, `wildlens.model.training.crossfit`); the default on a CPU,
  for workshops: hundreds of photos in well under a minute.

Either returns the fitted network, what the trust layer is fitted on (out-of-fold answers of
every photo in fast mode, the calibration split's in full mode) and its outputs on the photos
the report measures.

    fitted = FIT_MODES[resolve_mode(cfg.mode, device)](FitInputs(...))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from wildlens.data.datasets import ImageDataset, photo_loader
from wildlens.data.prepare import TrainingSplits
from wildlens.data.transforms import Preprocessing, eval_transforms, train_transforms
from wildlens.model.config import TrainConfig
from wildlens.model.network.backends import ModelOutputs, logits_and_features
from wildlens.model.network.device import resolve_precision
from wildlens.model.training.composites import composite_features
from wildlens.model.training.crossfit import (
    C_GRID,
    CrossFit,
    CrossFitSettings,
    assign_folds,
    cross_fit,
    out_of_fold_knn,
)
from wildlens.model.training.distributed import Distributed
from wildlens.model.training.features import Embedder, FeatureCache, extract_features, feature_views
from wildlens.model.training.finetune import EpochCallback, FineTuneSettings, fine_tune
from wildlens.model.training.head import head_logits, install_head
from wildlens.model.training.policy import TrustInputs

_NO_OUTPUTS = ModelOutputs(np.zeros((0, 0), np.float32), np.zeros((0, 0), np.float32))
# stage ("features (train)", ...), photos done, photos in the stage: fast mode's progress.
ProgressCallback = Callable[[str, int, int], None]


@dataclass(frozen=True)
class FitInputs:
    """Everything a training mode needs: the network to fit, the photos and the settings."""

    model: torch.nn.Module
    splits: TrainingSplits
    preprocessing: Preprocessing
    cfg: TrainConfig
    device: torch.device
    dist: Distributed
    checkpoint_dir: Path  # full mode's resume checkpoints
    fingerprint: str  # of the run's config and data: what a resume checkpoint must match
    progress: bool = True
    on_epoch_end: EpochCallback | None = None  # full mode: each epoch's metrics
    # Fast mode: backbone features photo by photo, then each head fit.
    on_progress: ProgressCallback | None = None


@dataclass
class Fitted:
    """What a training mode returns: the network, what the trust layer is fitted on, and its
    outputs on the photos the report measures."""

    model: torch.nn.Module
    trust_inputs: TrustInputs
    # "train" (fast mode: out of fold), "val", "test", "unknown" as the photos exist.
    outputs: dict[str, ModelOutputs]
    history: list[dict[str, Any]] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)


def resolve_mode(mode: str, device: torch.device) -> str:
    """`auto`: full fine-tuning on a GPU, fast mode on a CPU."""
    if mode == "auto":
        return "full" if device.type == "cuda" else "fast"
    return mode


def fit_full(job: FitInputs) -> Fitted:
    """Fine-tune the whole network (`fine_tune`), then the outputs of the held-out splits."""
    cfg, splits, pre = job.cfg, job.splits, job.preprocessing
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
        dtype=resolve_precision(cfg.precision, job.device),
        channels_last=cfg.channels_last,
        fingerprint=job.fingerprint,
    )
    result = fine_tune(
        job.model,
        train_set,
        val_set,
        settings,
        job.device,
        job.checkpoint_dir,
        job.dist,
        job.on_epoch_end,
        job.progress,
    )
    outputs = {}
    if job.dist.is_main:
        for split in ("train", "val", "calibration", "test", "unknown"):
            samples = getattr(splits, split)
            if samples:
                held_out = ImageDataset(samples, splits.class_ids, eval_transforms(pre), decode)
                loader = photo_loader(held_out, cfg.batch_size, cfg.workers)
                outputs[split] = collect_outputs(
                    result.model, loader, job.device, job.progress, f"outputs ({split})"
                )
    notes = {"best_epoch": result.best_epoch, "stopped_early": result.stopped_early}
    trust_inputs = TrustInputs(
        calibration=outputs.get("calibration", _NO_OUTPUTS),
        labels=splits.labels("calibration"),
        reference=outputs.get("train", _NO_OUTPUTS),
        bias=result.model.get_classifier().bias.detach().cpu().numpy(),
    )
    kept = {k: v for k, v in outputs.items() if k in ("val", "test", "unknown")}
    return Fitted(result.model, trust_inputs, kept, result.history, notes)


def fit_fast(job: FitInputs) -> Fitted:
    """Cached backbone features of a few views per photo; a logistic-regression head
    cross-fitted on them (`wildlens.model.training.crossfit`): the fold ensemble is the shipped head
    and its out-of-fold answers calibrate it."""
    cfg, splits, pre, model = job.cfg, job.splits, job.preprocessing, job.model
    sha256 = splits.sha256()
    cache = FeatureCache.for_backbone(model, pre)
    views = feature_views(pre, cfg.fast_views, cfg.seed)
    embedder = Embedder(model.to(job.device), pre, job.device)  # one backbone export for all

    def features(samples, chosen, name):
        keys = [sha256[s.key] for s in samples]
        on_photo = None if job.on_progress is None else partial(job.on_progress, name)
        return extract_features(
            model,
            samples,
            keys,
            chosen,
            cache,
            pre,
            cfg.batch_size,
            job.progress,
            name,
            embedder,
            on_photo=on_photo,
        )

    pool = features(splits.train, views, "features (train)")
    settings = CrossFitSettings(
        folds=cfg.cross_fit_folds,
        c_grid=(cfg.head_c,) if cfg.head_c > 0 else C_GRID,
        class_balance=cfg.class_balance != "none",
    )
    notes: dict[str, Any] = {}
    extra = None
    if cfg.item_composites > 0:
        on_photo = None if job.on_progress is None else partial(job.on_progress, "table composites")
        made = composite_features(
            splits.train,
            [sha256[s.key] for s in splits.train],
            cfg.item_composites,
            cfg.seed,
            cache,
            pre,
            embedder,
            cfg.batch_size,
            job.progress,
            on_photo,
        )
        extra = (made.features, made.photo)
        notes["item_composites"] = {
            "per_photo": cfg.item_composites,
            "photos": made.photos,
            "composites": len(made.photo),
        }
    labels_text = [s.label for s in splits.train]
    fit, trust_inputs = cross_fitted_head(
        pool,
        splits.labels("train"),
        len(splits.class_ids),
        assign_folds(labels_text, splits.groups("train"), cfg.cross_fit_folds, cfg.seed),
        settings,
        on_fit=None if job.on_progress is None else partial(job.on_progress, "fitting the head"),
        extra=extra,
    )
    install_head(model, fit.weight, fit.bias)
    outputs = {"train": trust_inputs.calibration}
    for split in ("test", "unknown"):
        samples = getattr(splits, split)
        if samples:
            eval_view = features(samples, views[:1], f"features ({split})")[:, 0]
            outputs[split] = ModelOutputs(head_logits(eval_view, fit.weight, fit.bias), eval_view)
    notes |= {
        "views_per_photo": len(views),
        "cross_fit": {"folds": len(np.unique(fit.fold_of)), "c": fit.c, "search": fit.search},
    }
    return Fitted(model.eval(), trust_inputs, outputs, notes=notes)


def cross_fitted_head(
    pool: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    fold_of: np.ndarray,
    settings: CrossFitSettings,
    on_fit: Callable[[int, int], None] | None = None,
    extra: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[CrossFit, TrustInputs]:
    """Fast mode after the features: the cross-fitted head, and what the trust layer is fitted
    on (every photo's eval view out of fold; kNN scores against the other folds only).

    Args:
        pool: (N, V, D) features of the training photos, view 0 the eval view.
        extra: more training rows of the photos' folds ((M, D) features, (M,) photo index):
            table composites; they train the heads only (`cross_fit`).
    """
    fit = cross_fit(pool, labels, fold_of, num_classes, settings, on_fit, extra)
    eval_features = pool[:, 0]
    trust_inputs = TrustInputs(
        calibration=ModelOutputs(fit.oof_logits.astype(np.float32), eval_features),
        labels=labels,
        reference=ModelOutputs(head_logits(eval_features, fit.weight, fit.bias), eval_features),
        bias=fit.bias,
        calibration_knn=out_of_fold_knn(eval_features, fit.fold_of, fit.heads),
    )
    return fit, trust_inputs


FIT_MODES: dict[str, Callable[[FitInputs], Fitted]] = {"full": fit_full, "fast": fit_fast}


@torch.inference_mode()
def collect_outputs(
    model: torch.nn.Module,
    loader: DataLoader,
    device: torch.device,
    progress: bool = False,
    name: str = "evaluate",
) -> ModelOutputs:
    """Logits and pooled features of a whole loader, in order, in fp32 as at inference."""
    model = model.to(device).eval()
    logits, features = [], []
    for images, _ in tqdm(loader, desc=name, disable=not progress, leave=False):
        batch_logits, pooled = logits_and_features(model, images.to(device))
        features.append(pooled.float().cpu().numpy())
        logits.append(batch_logits.float().cpu().numpy())
    if not logits:
        return ModelOutputs(
            np.zeros((0, model.num_classes), np.float32), np.zeros((0, 0), np.float32)
        )
    return ModelOutputs(np.concatenate(logits), np.concatenate(features))
