"""The full fine-tuning recipe: head warm-up, then the whole network with layer-wise LR decay.

AdamW (timm's factory: layer-wise decay, no decay on norms and biases), per-step cosine schedule
with linear warm-up, label smoothing, class-balanced loss weights or sampling, weight EMA, mixed
precision (a no-op in fp32), gradient clipping, early stopping on validation macro-F1 with the
best weights kept, and a resume checkpoint after every epoch. Every epoch re-seeds the data order
and augmentation, so a resumed run repeats an uninterrupted one exactly (CPU, same seed).

    result = fine_tune(model, train_set, val_set, settings, device, checkpoint_dir)
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from timm.optim import create_optimizer_v2
from timm.utils import ModelEmaV3
from torch.utils.data import DataLoader, DistributedSampler, RandomSampler, WeightedRandomSampler
from tqdm import tqdm

from wildlens.data.datasets import ImageDataset, SeededOrder, photo_loader
from wildlens.model.network.device import autocast
from wildlens.model.training.checkpoint import (
    load_checkpoint,
    load_tensors,
    read_checkpoint_state,
    save_checkpoint,
)
from wildlens.model.training.distributed import Distributed
from wildlens.model.trust.metrics import macro_f1

EpochCallback = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class FineTuneSettings:
    epochs: int
    warmup_epochs: int  # head only, backbone frozen
    batch_size: int
    lr: float
    layer_decay: float
    weight_decay: float
    label_smoothing: float
    class_balance: str  # none | loss_weights | sampler
    ema_decay: float  # 0 turns EMA off
    grad_clip: float  # 0 turns clipping off
    patience: int  # epochs without improvement before stopping; 0: never stop early
    seed: int
    workers: int
    dtype: torch.dtype | None  # autocast dtype, None for fp32
    channels_last: bool
    fingerprint: str  # of the run's config and data: a checkpoint of another run is not resumed


@dataclass
class FineTuneResult:
    model: torch.nn.Module  # the best weights (EMA weights when EMA is on)
    history: list[dict[str, Any]] = field(default_factory=list)  # one row per epoch
    best_epoch: int = 0
    stopped_early: bool = False


def class_weights(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Inverse-frequency weights, normalised to mean 1 over the classes present."""
    counts = np.bincount(labels, minlength=num_classes).astype(np.float64)
    weights = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / num_classes, 0.0)
    present = weights > 0
    return weights / weights[present].mean() if present.any() else weights


def learning_rate_factor(step: int, warmup_steps: int, total_steps: int) -> float:
    """Linear warm-up to 1, then cosine decay to 0, per optimisation step."""
    if step < warmup_steps:
        return (step + 1) / (warmup_steps + 1)
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def _set_lr(optimizer: torch.optim.Optimizer, base_lr: float, factor: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = base_lr * group.get("lr_scale", 1.0) * factor


class _Loaders:
    """Train/val loaders whose order and augmentation are a function of (seed, epoch)."""

    def __init__(self, train_set, val_set, settings: FineTuneSettings, dist: Distributed):
        self.settings = settings
        generator = torch.Generator()
        labels = np.array([train_set.index[s.label] for s in train_set.samples])
        if settings.class_balance == "sampler":
            weights = class_weights(labels, len(train_set.index))[labels]
            sampler = WeightedRandomSampler(weights, len(labels), generator=generator)
        elif dist.enabled:
            sampler = DistributedSampler(train_set, dist.world_size, dist.rank, seed=settings.seed)
        else:
            sampler = RandomSampler(train_set, generator=generator)
        self.order = SeededOrder(sampler, settings.seed, generator)
        drop_last = len(train_set) > settings.batch_size
        self.train = photo_loader(
            train_set, settings.batch_size, settings.workers, self.order, drop_last
        )
        self.val = photo_loader(val_set, settings.batch_size, settings.workers)

    def start_epoch(self, epoch: int) -> DataLoader:
        self.order.set_epoch(epoch)
        torch.manual_seed(self.settings.seed * 10_007 + epoch)  # dropout
        return self.train


def fine_tune(
    model: torch.nn.Module,
    train_set: ImageDataset,
    val_set: ImageDataset,
    settings: FineTuneSettings,
    device: torch.device,
    checkpoint_dir: Path,
    dist: Distributed | None = None,
    on_epoch_end: EpochCallback | None = None,
    progress: bool = True,
) -> FineTuneResult:
    """Train `model` in place; returns the best weights and the per-epoch history."""
    dist = dist or Distributed.single()
    model = model.to(device)
    if settings.channels_last:
        model = model.to(memory_format=torch.channels_last)
    loaders = _Loaders(train_set, val_set, settings, dist)
    num_classes = len(train_set.index)
    labels = np.array([train_set.index[s.label] for s in train_set.samples])
    weights = None
    if settings.class_balance == "loss_weights":
        weights = torch.tensor(
            class_weights(labels, num_classes), dtype=torch.float32, device=device
        )
    criterion = torch.nn.CrossEntropyLoss(weight=weights, label_smoothing=settings.label_smoothing)
    optimizer = create_optimizer_v2(
        model,
        "adamw",
        lr=settings.lr,
        weight_decay=settings.weight_decay,
        layer_decay=settings.layer_decay,
    )
    ema = (
        ModelEmaV3(model, decay=settings.ema_decay, use_warmup=True) if settings.ema_decay else None
    )
    trained = dist.wrap(model)
    steps_per_epoch = len(loaders.train)
    head_steps = settings.warmup_epochs * steps_per_epoch
    total_steps = settings.epochs * steps_per_epoch
    scaler = torch.amp.GradScaler(device.type, enabled=settings.dtype == torch.float16)

    result = FineTuneResult(model=model)
    best_score, best_state, start_epoch = -1.0, None, 0
    saved = read_checkpoint_state(checkpoint_dir)
    if saved and saved.get("fingerprint") == settings.fingerprint:
        saved = load_checkpoint(
            checkpoint_dir, model=model, optimizer=optimizer, ema=ema.module if ema else None
        )
        start_epoch, result.history = saved["epoch"] + 1, saved["history"]
        best_score, result.best_epoch = saved["best_score"], saved["best_epoch"]
        best_state = load_tensors(checkpoint_dir, "best")
        if progress:
            tqdm.write(f"resuming after epoch {start_epoch} from {checkpoint_dir}")

    for epoch in range(start_epoch, settings.epochs):
        started = time.perf_counter()
        head_only = epoch < settings.warmup_epochs
        _freeze_backbone(model, head_only)
        loader = loaders.start_epoch(epoch)
        losses = []
        bar = tqdm(
            loader, desc=f"epoch {epoch + 1}/{settings.epochs}", disable=not progress, leave=False
        )
        for step_in_epoch, (images, targets) in enumerate(bar):
            step = epoch * steps_per_epoch + step_in_epoch
            factor = (
                1.0
                if head_only
                else learning_rate_factor(
                    step - head_steps, steps_per_epoch, total_steps - head_steps
                )
            )
            _set_lr(optimizer, settings.lr, factor)
            images, targets = _to_device(images, device, settings.channels_last), targets.to(device)
            with autocast(device, settings.dtype):
                loss = criterion(trained(images), targets)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            if settings.grad_clip:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
            scaler.step(optimizer)
            scaler.update()
            if ema is not None:
                ema.update(model, step=step)
            losses.append(loss.item())
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
        evaluated = ema.module if ema is not None else model
        val = evaluate_loss_and_f1(evaluated, loaders.val, criterion, device, settings)
        row = {
            "epoch": epoch + 1,
            "phase": "head" if head_only else "full",
            "train_loss": float(np.mean(losses)) if losses else float("nan"),
            "val_loss": val["loss"],
            "val_accuracy": val["accuracy"],
            "val_macro_f1": val["macro_f1"],
            "lr": settings.lr * factor if losses else 0.0,
            "seconds": time.perf_counter() - started,
        }
        result.history.append(row)
        improved = val["macro_f1"] > best_score
        if improved:
            best_score, result.best_epoch = val["macro_f1"], epoch + 1
            best_state = {k: v.detach().cpu().clone() for k, v in evaluated.state_dict().items()}
        stop = settings.patience and epoch + 1 - result.best_epoch >= settings.patience
        if dist.is_main:
            save_checkpoint(
                checkpoint_dir,
                model=model,
                optimizer=optimizer,
                ema=ema.module if ema else None,
                state={
                    "fingerprint": settings.fingerprint,
                    "epoch": epoch,
                    "history": result.history,
                    "best_score": best_score,
                    "best_epoch": result.best_epoch,
                },
                tensors={"best": best_state} if best_state is not None else None,
            )
        dist.barrier()
        if progress:
            tqdm.write(
                f"epoch {epoch + 1}/{settings.epochs} ({row['phase']}): train loss "
                f"{row['train_loss']:.4f}, val loss {row['val_loss']:.4f}, accuracy "
                f"{row['val_accuracy']:.3f}, macro-F1 {row['val_macro_f1']:.3f}"
                + (" *" if improved else "")
            )
        if on_epoch_end is not None:
            on_epoch_end(row)
        if stop:
            result.stopped_early = True
            break
    _freeze_backbone(model, False)
    best = copy.deepcopy(ema.module if ema is not None else model).cpu()
    if best_state is not None:
        best.load_state_dict(best_state)
    result.model = best.to(memory_format=torch.contiguous_format).eval()
    return result


def _to_device(images: torch.Tensor, device: torch.device, channels_last: bool) -> torch.Tensor:
    images = images.to(device, non_blocking=True)
    return images.to(memory_format=torch.channels_last) if channels_last else images


def _freeze_backbone(model: torch.nn.Module, frozen: bool) -> None:
    """Head warm-up: only the classifier learns; the backbone also keeps its BN statistics."""
    head = set(map(id, model.get_classifier().parameters()))
    for parameter in model.parameters():
        parameter.requires_grad = not frozen or id(parameter) in head
    model.train()
    if frozen:
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.eval()


@torch.inference_mode()
def evaluate_loss_and_f1(
    model: torch.nn.Module,
    loader: DataLoader,
    criterion: torch.nn.Module,
    device: torch.device,
    settings: FineTuneSettings,
) -> dict[str, float]:
    """Validation loss, accuracy and macro-F1 of `model` in eval mode."""
    was_training = model.training
    model.eval()
    losses, predicted, targets_all = [], [], []
    for images, targets in loader:
        images, targets = _to_device(images, device, settings.channels_last), targets.to(device)
        with autocast(device, settings.dtype):
            logits = model(images)
        losses.append(criterion(logits.float(), targets).item() * len(targets))
        predicted.append(logits.argmax(1).cpu().numpy())
        targets_all.append(targets.cpu().numpy())
    model.train(was_training)
    if not targets_all:
        return {"loss": float("nan"), "accuracy": float("nan"), "macro_f1": 0.0}
    predicted, targets_all = np.concatenate(predicted), np.concatenate(targets_all)
    return {
        "loss": float(np.sum(losses) / len(targets_all)),
        "accuracy": float((predicted == targets_all).mean()),
        "macro_f1": macro_f1(predicted, targets_all, len(loader.dataset.index)),
    }
