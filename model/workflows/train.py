"""Train a model on labelled photos, calibrate it, fit routing, evaluate it, write a bundle.

The recipe, top to bottom: audited splits (`wildlens.data.prepare`) -> a pretrained network
(`wildlens.model.network.backbones`) -> fitted by a mode (`wildlens.model.training.modes`: full
fine-tuning or fast mode's cached features and linear head) -> the trust policy fitted on the
calibration photos (`wildlens.model.training.policy`) -> evaluated on held-out photos
(`wildlens.model.evaluation.report`) -> written as a bundle with its report
(`wildlens.model.bundle.format`) and ONNX export.

    bundle = train(load_config(TrainConfig, ["data=photos/"]))
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import numpy as np
import torch

from wildlens.common.config_loader import config_to_dict
from wildlens.data.prepare import (
    Fractions,
    TrainingSplits,
    audit_files,
    data_summary,
    leakage_examples,
    training_splits,
)
from wildlens.data.transforms import Preprocessing
from wildlens.model.bundle.card import model_card
from wildlens.model.bundle.catalogue import default_catalogue, load_catalogue
from wildlens.model.bundle.format import Bundle, BundleMeta, save_bundle
from wildlens.model.config import TrainConfig
from wildlens.model.evaluation.evaluate import evaluate_held_out, training_summary
from wildlens.model.network.backbones import build_model
from wildlens.model.network.device import select_device
from wildlens.model.network.export import export_to_bundle
from wildlens.model.training.checkpoint import run_fingerprint
from wildlens.model.training.distributed import Distributed
from wildlens.model.training.finetune import EpochCallback
from wildlens.model.training.modes import FIT_MODES, FitInputs, ProgressCallback, resolve_mode
from wildlens.model.training.policy import TrustSettings, fit_trust


def train(
    cfg: TrainConfig,
    *,
    progress: bool = True,
    log: Callable[[str], None] = print,
    demo: bool = False,
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
        demo: mark the bundle as the embedded demo model (synthetic photos).
        on_epoch_end: called with each epoch's row of metrics (full mode).
        on_progress: called with a stage's name, steps done and steps to do, as the photos are
            checked (audit), fast mode computes backbone features photo by photo and fits the
            head fold by fold, and the bundle is calibrated, evaluated, written and exported.
    """
    dist = Distributed.from_environment(find_unused_parameters=cfg.warmup_epochs > 0)
    try:
        if not dist.is_main:
            log = _quiet
        return _train(cfg, dist, progress, log, demo, on_epoch_end, on_progress)
    finally:
        dist.close()


def _quiet(_: str) -> None:
    pass


def _train(cfg, dist, progress, log, demo, on_epoch_end, on_progress) -> Bundle | None:
    if cfg.deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
    seed_everything(cfg.seed)
    device = dist.device(select_device(cfg.device))
    mode = resolve_mode(cfg.mode, device)
    if mode == "fast" and dist.enabled:
        raise ValueError("fast mode runs in one process; use mode=full under torchrun")
    if mode == "full" and cfg.item_composites > 0:
        raise ValueError(
            "item_composites trains fast mode's head; use mode=fast, or item_composites=0"
        )

    splits = load_splits(cfg, mode, on_progress)
    log(describe_splits(splits, mode, device))
    catalogue = load_catalogue(cfg.catalogue) if cfg.catalogue else default_catalogue()
    catalogue = catalogue.for_classes(splits.class_ids)
    model = build_model(cfg.architecture, len(splits.class_ids), cfg.weights, cfg.drop_rate)
    pre = Preprocessing.from_model(model, cfg.image_size)
    data = data_summary(cfg.data, splits)

    checkpoint_dir = Path(f"{cfg.out}.partial")
    if not cfg.resume:
        shutil.rmtree(checkpoint_dir, ignore_errors=True)
    job = FitInputs(
        model,
        splits,
        pre,
        cfg,
        device,
        dist,
        checkpoint_dir,
        run_fingerprint(config_to_dict(cfg), data["fingerprint"]),
        progress,
        on_epoch_end,
        on_progress,
    )
    fitted = FIT_MODES[mode](job)
    if not dist.is_main:
        return None

    def step(done: int) -> None:
        if on_progress is not None:
            on_progress("writing the bundle", done, 4)

    step(0)
    entries = [catalogue[c] for c in splits.class_ids]
    trust = fit_trust(fitted.trust_inputs, entries, TrustSettings.from_config(cfg))
    step(1)
    held_out = evaluate_held_out(splits, fitted, trust, catalogue)
    step(2)
    meta = BundleMeta(
        name=cfg.name,
        version=cfg.version or datetime.now(UTC).strftime("%Y.%m.%d-%H%M%S"),
        description=cfg.description,
        demo=demo,
        architecture=cfg.architecture,
        preprocessing=pre.to_dict(),
        class_ids=splits.class_ids,
        catalogue=catalogue.to_dict(),
        temperature=trust.temperature,
        routing=trust.policy.to_dict(),
        unknown=trust.unknown_meta(),
        data=data,
        metrics={
            "mode": mode,
            "calibration": trust.calibration,
            "evaluation": held_out.evaluation_metrics,
            **held_out.measures_for_meta,
            "history": fitted.history,
            **fitted.notes,
        },
        config={**config_to_dict(cfg), "mode": mode},
    )
    files = {
        **audit_files(splits.prepared),
        **held_out.files,
        **trust.files(),
        "MODEL_CARD.md": model_card(meta).encode(),
    }
    bundle = save_bundle(cfg.out, fitted.model.cpu(), meta, files, overwrite=cfg.overwrite)
    step(3)
    bundle = export_to_bundle(bundle)  # model.onnx, from the saved weights: infer.py on CPUs
    step(4)
    shutil.rmtree(checkpoint_dir, ignore_errors=True)
    for line in training_summary(held_out, trust):
        log(line)
    log(f"bundle written to {bundle.path} (report in {bundle.path / 'report'}, MODEL_CARD.md)")
    return bundle


def load_splits(
    cfg: TrainConfig, mode: str = "full", on_progress: ProgressCallback | None = None
) -> TrainingSplits:
    """The config's audited, leakage-safe splits; fast mode cross-fits (no validation or
    calibration split: every labelled photo that is not a test photo trains and calibrates)."""
    return training_splits(
        cfg.data,
        Fractions(cfg.val_fraction, cfg.calibration_fraction, cfg.test_fraction),
        cross_fit=mode == "fast",
        seed=cfg.seed,
        allow_leakage=cfg.allow_leakage,
        workers=cfg.workers,
        unknown_data=cfg.unknown_data,
        on_item=None if on_progress is None else partial(on_progress, "checking photos"),
    )


def describe_splits(splits: TrainingSplits, mode: str, device: torch.device) -> str:
    if splits.cross_fit:
        held = "all of them also calibrate, out of fold"
    else:
        held = f"{len(splits.val)} validation, {len(splits.calibration)} calibration"
    line = (
        f"{len(splits.class_ids)} classes; {len(splits.train)} training photos ({held}), "
        f"{len(splits.test)} test photos; {mode} mode on {device}"
    )
    prepared = splits.prepared
    if prepared.carved:
        line += f"\n{' and '.join(prepared.carved)} photos taken from train/ (the dataset has none)"
    if prepared.left_out_copies:
        line += (
            f"\nleft out {len(prepared.left_out_copies)} held-out photos that copy photos of an "
            f"earlier split (e.g. {leakage_examples(prepared.report)}); each set stays in its "
            "earliest split (see report/audit.md; allow_leakage=true keeps them)"
        )
    if prepared.excluded:
        line += f"\nleft out {len(prepared.excluded)} unreadable photos (see report/audit.md)"
    return line


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
