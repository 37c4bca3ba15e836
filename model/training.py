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
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from data.audit import audit, markdown_report
from data.datasets import ImageDataset, photo_loader
from data.prepare import PreparedSplits, prepare_splits
from data.quality import QualityLimits
from data.sources import DatasetError, Sample, Skipped, open_source
from data.transforms import Preprocessing, eval_transforms, train_transforms
from model.backbones import build_model
from model.backends import ModelOutputs
from model.bundle import UNKNOWN_FILE, Bundle, save_bundle
from model.calibrate import TrustSettings, fit_trust, routing_measures
from model.calibration import softmax
from model.catalogue import load_catalogue
from model.device import resolve_precision, select_device
from model.distributed import Distributed
from model.export import export_to_bundle
from model.features import Embedder, FeatureCache, extract_features, feature_views
from model.finetune import EpochCallback, FineTuneSettings, fine_tune
from model.head import HeadSettings, head_logits, install_head, train_linear_head
from model.report import Evaluation, evaluation_files, model_card, summary_lines
from wildlens.config import TrainConfig, config_to_dict
from wildlens.paths import DEFAULT_CATALOGUE

# stage ("features (train)", ...), photos done, photos in the stage: fast mode's progress.
ProgressCallback = Callable[[str, int, int], None]
# Config keys that change where or how fast a run goes, not what it computes.
NON_SEMANTIC_KEYS = ("out", "overwrite", "workers", "resume", "name", "version", "description")


@dataclass(frozen=True)
class Splits:
    train: list[Sample]
    val: list[Sample]
    calibration: list[Sample]
    test: list[Sample]
    class_ids: list[str]
    prepared: PreparedSplits
    unknown: list[Sample] = field(default_factory=list)  # out-of-catalogue photos, for the report
    unknown_sha256: dict[str, str] = field(default_factory=dict)  # their key -> content hash

    def sha256(self) -> dict[str, str]:
        """Every readable photo's key -> sha256 of its bytes (the feature cache's key)."""
        records = self.prepared.report["records"]
        return {**{r["key"]: r["sha256"] for r in records}, **self.unknown_sha256}

    def labels(self, split: str) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.class_ids)}
        return np.array([index[s.label] for s in getattr(self, split)], dtype=np.int64)


@dataclass
class Fitted:
    """What a training mode returns: the model and its outputs on the other splits."""

    model: torch.nn.Module
    # "val", "calibration"; "test", "unknown" when there are such photos; "train" when the
    # unknown score needs the training features.
    outputs: dict[str, ModelOutputs]
    history: list[dict[str, Any]] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)


def trust_settings(cfg: TrainConfig) -> TrustSettings:
    return TrustSettings(
        delta=cfg.routing_delta,
        coverage=cfg.shortlist_coverage,
        class_conditional=cfg.shortlist_class_conditional,
        unknown_score=cfg.unknown_score,
        unknown_keep=cfg.unknown_keep,
        accept_floor=cfg.accept_floor,
        quality=QualityLimits(cfg.poor_min_side, cfg.poor_min_sharpness, cfg.poor_min_contrast),
    )


def mahalanobis_file(stats) -> bytes:
    from safetensors.torch import save

    return save(
        {"means": torch.from_numpy(stats.means), "precision": torch.from_numpy(stats.precision)}
    )


def _splits_to_embed(splits: Splits, cfg: TrainConfig) -> list[str]:
    """The splits whose network outputs calibration, routing and the report need."""
    names = ["val", "calibration", "test", "unknown"]
    if cfg.unknown_score == "mahalanobis":
        names.append("train")
    return [name for name in names if getattr(splits, name)]


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
    on_progress: ProgressCallback | None = None,
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
        on_progress: called as fast mode computes backbone features, photo by photo (the slow
            part), with the stage's name, photos done and photos to do.
    """
    dist = Distributed.from_environment(find_unused_parameters=cfg.warmup_epochs > 0)
    try:
        return _train(
            cfg,
            dist,
            progress,
            log if dist.is_main else _quiet,
            extra_meta,
            on_epoch_end,
            on_progress,
        )
    finally:
        dist.close()


def _quiet(_: str) -> None:
    pass


def _train(cfg, dist, progress, log, extra_meta, on_epoch_end, on_progress) -> Bundle | None:
    if cfg.deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
    seed_everything(cfg.seed)
    device = dist.device(select_device(cfg.device))
    mode = resolve_mode(cfg.mode, device)
    if mode == "fast" and dist.enabled:
        raise ValueError("fast mode runs in one process; use mode=full under torchrun")
    splits = load_splits(cfg, mode)
    validation = "" if splits.val is splits.calibration else f"{len(splits.val)} validation, "
    log(
        f"{len(splits.class_ids)} classes; {len(splits.train)} training, {validation}"
        f"{len(splits.calibration)} calibration, {len(splits.test)} test photos; "
        f"{mode} mode on {device}"
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
    fit = partial(_fit_fast, on_progress=on_progress) if mode == "fast" else _fit_full
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

    entries = [catalogue[c] for c in splits.class_ids]
    trust = fit_trust(
        fitted.outputs["calibration"],
        splits.labels("calibration"),
        fitted.outputs.get("train"),
        splits.labels("train") if "train" in fitted.outputs else None,
        entries,
        trust_settings(cfg),
    )
    split = "test" if splits.test else "calibration" if splits.val is splits.calibration else "val"
    held_out = fitted.outputs[split]
    evaluation = Evaluation(
        split=split,
        samples=getattr(splits, split),
        labels=splits.labels(split),
        probs_uncalibrated=softmax(held_out.logits),
        probs=softmax(held_out.logits, trust.temperature),
        class_ids=splits.class_ids,
    )
    measures = routing_measures(held_out, evaluation.labels, trust, fitted.outputs.get("unknown"))
    names = [catalogue[c].name() for c in splits.class_ids]
    files = {
        **audit_files(splits.prepared),
        **evaluation_files(
            evaluation, names, fitted.history, {"calibration": trust.calibration, **measures}
        ),
    }
    if trust.mahalanobis is not None:
        files[UNKNOWN_FILE] = mahalanobis_file(trust.mahalanobis)
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
        "temperature": trust.temperature,
        "routing": trust.policy.to_dict(),
        "unknown": {
            "score": trust.policy.unknown_score,
            "file": UNKNOWN_FILE if trust.mahalanobis else None,
        },
        "data": data,
        "metrics": {
            "mode": mode,
            "calibration": trust.calibration,
            "evaluation": {k: evaluated[k] for k in ("split", "uncalibrated", "calibrated")},
            **{k: v for k, v in measures.items() if k != "risk_coverage"},
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
    bundle = export_to_bundle(bundle)  # model.onnx, from the saved weights: infer.py on CPUs
    shutil.rmtree(checkpoint_dir, ignore_errors=True)
    for line in summary_lines(evaluated):
        log(line)
    routing = measures["routing"]
    log(
        f"calibration: T={trust.temperature:.2f}, ECE {trust.calibration['ece_before']:.3f} -> "
        f"{trust.calibration['ece_after']:.3f}; on {split}: auto-accepted {routing['coverage']:.0%}"
        + (
            f" at precision {routing['accepted_precision']:.3f}"
            if routing["accepted_precision"]
            else ""
        )
        + f", shortlist coverage {measures['shortlist']['coverage']:.3f}"
        f" (size {measures['shortlist']['mean_size']:.2f})"
    )
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
    outputs = {}
    if dist.is_main:
        for split in _splits_to_embed(splits, cfg):
            held_out = ImageDataset(
                getattr(splits, split), splits.class_ids, eval_transforms(pre), decode
            )
            loader = photo_loader(held_out, cfg.batch_size, cfg.workers)
            outputs[split] = collect_outputs(result.model, loader, device, progress, split)
    notes = {"best_epoch": result.best_epoch, "stopped_early": result.stopped_early}
    return Fitted(result.model, outputs, result.history, notes)


def head_settings(cfg: TrainConfig) -> HeadSettings:
    """Fast mode's linear head settings from a training config."""
    return HeadSettings(
        epochs=cfg.head_epochs,
        lr=cfg.head_lr,
        weight_decay=cfg.weight_decay,
        label_smoothing=cfg.head_label_smoothing,
        dropout=cfg.head_dropout,
        class_balance=cfg.class_balance,
        seed=cfg.seed,
    )


def _fit_fast(
    model,
    splits,
    pre,
    cfg,
    device,
    dist,
    checkpoint_dir,
    fingerprint,
    progress,
    on_epoch_end,
    on_progress=None,
) -> Fitted:
    """Cached backbone features of a few views per photo, and a linear head on them."""
    sha256 = splits.sha256()
    cache = FeatureCache.for_backbone(model, pre)
    views = feature_views(pre, cfg.fast_views, cfg.seed)
    embedder = Embedder(model.to(device), pre, device)  # one backbone export for every split

    def features(samples, chosen, name):
        keys = [sha256[s.key] for s in samples]
        return extract_features(
            model,
            samples,
            keys,
            chosen,
            cache,
            pre,
            cfg.batch_size,
            progress,
            name,
            embedder,
            on_photo=None if on_progress is None else partial(on_progress, name),
        )

    train_features = features(splits.train, views, "features (train)")
    weight, bias = train_linear_head(
        train_features, splits.labels("train"), len(splits.class_ids), head_settings(cfg)
    )
    install_head(model, weight, bias)
    outputs = {}
    for split in _splits_to_embed(splits, cfg):
        eval_view = features(getattr(splits, split), views[:1], f"features ({split})")[:, 0]
        outputs[split] = ModelOutputs(head_logits(eval_view, weight, bias), eval_view)
    return Fitted(model.eval(), outputs, notes={"views_per_photo": len(views)})


def run_fingerprint(cfg: TrainConfig, data: dict[str, Any]) -> str:
    """What a resume checkpoint must match: the semantic config and the data."""
    config = {k: v for k, v in config_to_dict(cfg).items() if k not in NON_SEMANTIC_KEYS}
    text = json.dumps({"config": config, "data": data["fingerprint"]}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def load_splits(cfg: TrainConfig, mode: str = "full") -> Splits:
    """Audited, leakage-safe splits: the dataset's own, or a group split.

    Calibration photos must be ones the model was neither fitted nor selected on. Full mode
    selects its best epoch on the validation split, so a dataset with train/ and val/ but no
    calibration/ gives up `calibration_fraction` of train for it. Fast mode selects nothing on
    validation, so there validation and calibration are one split: a dataset's val/ (when it has
    no calibration/), or `val_fraction + calibration_fraction` of a dataset split here.
    """
    if not cfg.data:
        raise DatasetError("no dataset given: train.py data=PATH (an ImageFolder tree)")
    held_out = cfg.val_fraction + cfg.calibration_fraction + cfg.test_fraction
    if held_out >= 1 or cfg.val_fraction <= 0 or cfg.calibration_fraction <= 0:
        raise DatasetError(
            "val_fraction and calibration_fraction must be > 0, and with test_fraction below 1"
        )
    if mode == "fast":
        fractions = {
            "train": 1.0 - held_out,
            "calibration": cfg.val_fraction + cfg.calibration_fraction,
        }
        carve = None
    else:
        fractions = {
            "train": 1.0 - held_out,
            "val": cfg.val_fraction,
            "calibration": cfg.calibration_fraction,
        }
        carve = {"calibration": cfg.calibration_fraction}
    fractions["test"] = cfg.test_fraction
    prepared = prepare_splits(
        cfg.data,
        {name: f for name, f in fractions.items() if f > 0},
        seed=cfg.seed,
        allow_leakage=cfg.allow_leakage,
        workers=cfg.workers,
        carve=carve,
    )
    parts = prepared.splits
    train_samples = parts.get("train", [])
    if mode == "fast" and not parts.get("calibration"):
        parts = {**parts, "calibration": parts.get("val", [])}
    val_samples = parts.get("calibration", []) if mode == "fast" else parts.get("val", [])
    if not train_samples or not val_samples:
        raise DatasetError(
            f"{cfg.data}: need training and validation photos; found splits "
            f"{sorted(k for k, v in parts.items() if v)} (name folders train/ and val/, "
            "or give one folder of class folders to split automatically)"
        )
    class_ids = sorted({s.label for s in train_samples})
    unseen = sorted({s.label for s in val_samples} - set(class_ids))
    if unseen:
        raise DatasetError(f"{cfg.data}: classes {unseen} are in val but not in train")
    if len(class_ids) < 2:
        raise DatasetError(f"{cfg.data}: need at least 2 classes, found {class_ids}")
    known = set(class_ids)
    calibration = [s for s in parts.get("calibration", []) if s.label in known]
    if not calibration:
        raise DatasetError(f"{cfg.data}: no calibration photos of the training classes")
    if mode == "fast":
        val_samples = calibration  # one split, one list: the summary counts it once
    test_samples = [s for s in parts.get("test", []) if s.label in known]
    unknown, unknown_sha256 = [], {}
    if cfg.unknown_data:
        unknown, unknown_sha256 = _readable(cfg.unknown_data, cfg.workers)
    return Splits(
        train_samples,
        val_samples,
        calibration,
        test_samples,
        class_ids,
        prepared,
        unknown,
        unknown_sha256,
    )


def _readable(source: str, workers: int) -> tuple[list[Sample], dict[str, str]]:
    """The photos of a source that decode, and their sha256; unreadable ones are left out."""
    samples = [s for s in open_source(source) if not isinstance(s, Skipped)]
    records = audit(samples, workers=workers)["records"]
    sha256 = {r["key"]: r["sha256"] for r in records if not r["error_code"]}
    readable = [s for s in samples if s.key in sha256]
    if not readable:
        raise DatasetError(f"{source}: no readable images ({len(samples)} unreadable)")
    return readable, sha256


def audit_files(prepared: PreparedSplits) -> dict[str, bytes]:
    """The dataset audit, for the bundle's report folder (per-image records left out)."""
    report = {k: v for k, v in prepared.report.items() if k != "records"}
    return {
        "report/audit.json": (json.dumps(report, indent=1, ensure_ascii=False) + "\n").encode(),
        "report/audit.md": markdown_report(prepared.report).encode(),
    }


def data_summary(root: str, splits: Splits) -> dict[str, Any]:
    """Counts per split and class, and a fingerprint over every file's content and label."""
    sha256 = splits.sha256()
    digest = hashlib.sha256()
    parts = {
        "train": splits.train,
        "val": splits.val,
        "calibration": splits.calibration,
        "test": splits.test,
    }
    if splits.val is splits.calibration:  # fast mode: one split serves both
        del parts["val"]
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
        pooled = model.forward_head(model.forward_features(images.to(device)), pre_logits=True)
        features.append(pooled.float().cpu().numpy())
        logits.append(model.get_classifier()(pooled).float().cpu().numpy())
    if not logits:
        return ModelOutputs(
            np.zeros((0, model.num_classes), np.float32), np.zeros((0, 0), np.float32)
        )
    return ModelOutputs(np.concatenate(logits), np.concatenate(features))
